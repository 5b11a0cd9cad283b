"""Alembic environment: runs migrations on the URL that `coach.storage.migrate` passes in."""

from alembic import context

from coach.storage.db import make_engine
from coach.storage.models import Base

config = context.config
target_metadata = Base.metadata


# Tables owned by libraries, not by these migrations (APScheduler's persistent job store).
EXTERNAL_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Keep autogenerate from proposing to drop tables other libraries own."""
    return not (type_ == "table" and reflected and compare_to is None and name in EXTERNAL_TABLES)


def run_migrations_online() -> None:
    """Run migrations with a live connection."""
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
