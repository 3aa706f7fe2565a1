"""Users, roles, authentication, and electronic signatures."""
