# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SIZE ?= 10000

.PHONY: demo test lint run worker beat bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed  ## set up SQLite, seed the demo and serve it on 127.0.0.1:$(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/ and sign in with one of the logins above."
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed  ## the whole test suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

run: $(VENV)/.installed  ## the web server alone
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: $(VENV)/.installed  ## a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: $(VENV)/.installed  ## Celery beat with the schedules admins edit (needs REDIS_URL)
	$(VENV)/bin/celery -A config beat --loglevel=INFO

bench: $(VENV)/.installed  ## scale benchmarks on PostgreSQL (needs DATABASE_URL); SIZE=10000,100000 for several, BENCH_ARGS="--reuse --modules queue" to rerun on built databases
	$(PY) -m bench.run --sizes $(SIZE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
