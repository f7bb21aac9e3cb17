# One command for the demo, one for the tests (see README). Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= usage.duckdb
REPORTS ?= reports

.PHONY: demo install browser lint test bench regen fuzz clean

demo: install
	$(BIN)/llm-spend --db $(DB) rates load sample_logs/rates.csv
	$(BIN)/llm-spend --db $(DB) ingest sample_logs/exports/
	mkdir -p $(REPORTS)
	$(BIN)/llm-spend --db $(DB) report --by tenant,feature,model --period month --format html -o $(REPORTS)/spend.html
	$(BIN)/llm-spend --db $(DB) report --by tenant,feature,model --period month --format csv -o $(REPORTS)/spend.csv
	$(BIN)/llm-spend --db $(DB) report --by tenant --period month --format table
	@echo "reports written: $(REPORTS)/spend.html $(REPORTS)/spend.csv"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,prices,spark]'
	touch $@

# The HTML report is checked in a real headless browser (Debian's chromium-headless-shell); its
# printed PDF is read back with pdftotext (poppler-utils).
browser:
	@(command -v chromium-headless-shell >/dev/null 2>&1 || ls /usr/lib/chromium/chrome-headless-shell >/dev/null 2>&1) && \
		command -v pdftotext >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell poppler-utils >/dev/null)

lint: install
	$(BIN)/python -m ruff check .

test: install browser lint
	$(BIN)/python -m pytest -q --durations=15

# The ingest fuzz (tests/test_fuzz.py) with many more cases than the suite runs, random seeds.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

# Generated files: each script rewrites its files and prints what changed (each file says, in
# its header or a README next to it, which script made it). In order: later ones read what
# earlier ones write (the sample is priced by its card, the goldens are reports of the sample).
REGEN_SCRIPTS = scripts/make_default_rates.py scripts/make_sample_logs.py scripts/make_goldens.py scripts/regen_expected.py scripts/make_sql_docs.py

regen: install
	@for script in $(REGEN_SCRIPTS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

bench: install
	$(BIN)/python benchmarks/run.py --sizes 1000000 10000000

clean:
	rm -rf $(VENV) $(REPORTS) $(DB) dist build
