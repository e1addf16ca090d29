-- Built-in workflow patterns (`gantry pattern`), applied after the migrations at every start.
-- Portable SQL for SQLite and PostgreSQL: one INSERT per pattern, nothing else.
INSERT INTO patterns (name, description, workflow) VALUES ('placeholder', 'A placeholder until the real patterns land', 'on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hello
') ON CONFLICT (name) DO NOTHING;
