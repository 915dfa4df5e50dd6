"""Staff: accounts, roles, login with two-factor codes, and the staff pages of the panel."""
