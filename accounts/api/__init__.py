"""The API of users and teams: API tokens, created and revoked by admins."""
