"""Encrypted backups of the site and tested restores (`manage.py backup`, `manage.py restore`).

One backup is one restic snapshot holding three things: `database.dump` (pg_dump's custom
format, taken in one consistent snapshot of the database and read back in full before it is
uploaded), `manifest.json` (what the dump must contain: every table's row count and checksum,
the applied migrations, the tool versions) and the uploaded files (MEDIA_ROOT). A restore
checks the restored database against the manifest before it is presented as good.

- postgres.py: the dump, its verification, creating and restoring databases (libpq tools)
- restic.py: the encrypted repository (restic), with its errors worded for the owner
- jobs.py: a backup run and a restore, step by step; each run recorded as a BackupRun
- health.py: is the last good backup recent enough (the admin home's warning)
"""
