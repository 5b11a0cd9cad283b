"""Revision 0010: one check-in per patient per local day, existing rows kept."""

from __future__ import annotations

import sqlalchemy as sa

from coach.storage.migrate import upgrade


def test_existing_checkins_get_their_local_date_and_duplicates_are_kept(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = sa.create_engine(url)
    with engine.begin() as db:
        db.execute(
            sa.text(
                "INSERT INTO patient (id, display_name, timezone, locale, checkin_time,"
                " eye_closure_incomplete, active, created_at) VALUES (1, 'P',"
                " 'America/New_York', 'en-US', '09:00:00', 0, 1, '2026-01-01')"
            )
        )
        for n, at in enumerate(
            ["2026-03-02 03:00:00", "2026-03-02 04:30:00", "2026-03-02 15:00:00"]
        ):
            db.execute(
                sa.text(
                    "INSERT INTO checkin (id, patient_id, submission_key, completed_at)"
                    " VALUES (:id, 1, :key, :at)"
                ),
                {"id": n + 1, "key": f"k{n}", "at": at},
            )
    upgrade(url)
    with engine.begin() as db:
        rows = dict(db.execute(sa.text("SELECT id, local_date FROM checkin")).all())
        # 03:00 and 04:30 UTC are still 1 March in New York; the later of the two keeps the date
        assert rows == {1: None, 2: "2026-03-01", 3: "2026-03-02"}
        try:
            db.execute(sa.text("UPDATE checkin SET local_date = '2026-03-01' WHERE id = 3"))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("two check-ins on one local day were accepted")
