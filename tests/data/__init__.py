"""Tests of backup and restore, and of personal data export and erasure."""
