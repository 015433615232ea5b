"""The database session store, with one query where Django's spends three or four.

Django's store asks whether a new random key exists before using it, and wraps every single
INSERT or UPDATE in a transaction of its own (BEGIN, the write, COMMIT). Neither is needed:

- a new key is 32 characters drawn from 36 (165 bits): it never repeats, and if it did, the
  INSERT would fail on the primary key and create() draw another, as Django's own code does
  when its check loses a race;
- in autocommit mode one statement is its own transaction, and a failed one leaves nothing to
  roll back. Inside a caller's transaction, Django's savepoint is kept.

So a patient's first POST makes one INSERT for its session, and each later request of a staff
member (SESSION_SAVE_EVERY_REQUEST) one UPDATE. Same table, same data, same errors
(CreateError, UpdateError) as django.contrib.sessions.backends.db.
"""

from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    UpdateError,
)
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, router, transaction
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        using = router.db_for_write(self.model)
        if not transaction.get_autocommit(using=using):
            # Inside a transaction a failed write must not break the caller's: a savepoint.
            return super().save(must_create=must_create)
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        try:
            obj.save(
                force_insert=must_create, force_update=not must_create, using=using
            )
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
