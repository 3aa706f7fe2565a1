"""E-mail notifications: events announced in the transaction of their change, delivered after it by SMTP."""
