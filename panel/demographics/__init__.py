"""Demographics: the attributes members are described by, population figures, composition."""
