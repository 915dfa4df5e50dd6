"""Focus groups and task committees drawn from the panel by a fair lottery.

The arithmetic is ``stats.lottery``; here are the group, its pool, the draw record, the
invitations and replacements, the staff pages and the CLI.
"""
