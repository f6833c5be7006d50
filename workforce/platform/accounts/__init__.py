"""People who sign in: a user model whose login is the e-mail address."""
