"""The consortium, its member societies, and the roles people hold in them."""
