PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: install run test test-dates lint migrate seed browsers messages screenshots clean backup restore restore-drill

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py createcachetable

seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "Radar on http://127.0.0.1:8000  (password for every demo account: radar-demo)"
	@echo "  admin (Django admin)     coordination (coordinator)"
	@echo "  cpe.marronniers  cpe.jaures  cpe.pasteur (school staff)"
	@echo "  direction.garreau  direction.arbrisseau (centre managers)"
	@echo "  anim.garreau  anim.arbrisseau  anim.projet  anim.chemin-rouge (animators)"
	@echo ""
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# Two workers (pytest-xdist): CI machines have two cores.
test: install
	DEBUG=1 $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The date-dependent tests (marked `clock`) with the clock stopped, Paris time, where calendars go wrong:
# both DST changes, the turn of the year, and a 29 February.
CLOCK_INSTANTS := 2026-03-29T03:30 2026-10-25T02:30 2026-12-31T23:30 2027-01-01T00:30 2028-02-29T12:00
test-dates: install
	@for instant in $(CLOCK_INSTANTS); do \
		echo "== clock at $$instant (Europe/Paris)"; \
		RADAR_TEST_NOW=$$instant DEBUG=1 $(BIN)/pytest -n 2 -m clock $(PYTEST_ARGS) || exit 1; \
	done

# The README tour's pictures (docs/screenshots/*.png), taken by the browser journeys of tests/browser.
screenshots: install
	RADAR_SCREENSHOTS=1 DEBUG=1 $(BIN)/pytest tests/browser

# Style, the import contracts (schools <- outreach <- api; access, steps and redaction below the doors) and types.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy

messages: install
	DEBUG=1 $(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=tests --ignore=staticfiles
	DEBUG=1 $(PY) manage.py compilemessages -l fr -l en --ignore=.venv

# Radar against the hand-written floor at 20,000 and 200,000 cases (BENCH_SCALES=20000 for one): creates and seeds
# $(BENCH_DATABASE_URL)_<cases> when missing, writes docs/performance.md.
bench: install
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/radar_bench} $(PY) bench/run.py

# Encrypted backups of the PostgreSQL database named by DATABASE_URL, with the passphrase in RADAR_BACKUP_KEY
# (README, "Backups"): `make backup`, `make restore BACKUP=<file>`, `make restore-drill [BACKUP=<file>]`.
backup:
	ops/backup.sh

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<file>" >&2; exit 1; }
	ops/restore.sh "$(BACKUP)"

restore-drill: install
	DEBUG=1 ops/restore-drill.sh $(BACKUP)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
