// The fixture repository's workflows: a green pipeline with a matrix and `needs`, a failing
// one with hostile log lines, a hostile step summary, an annotation and an artifact, and a
// long one to cancel.
export const workflows = {
  '.github/workflows/ci.yml': `name: CI
on: [push, workflow_dispatch]
jobs:
  build:
    strategy:
      matrix:
        part: [core, cli]
    runs-on: ubuntu-latest
    steps:
      - run: echo "building \${{ matrix.part }}"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: Wait a little
        run: sleep 4
      - run: echo "all tests passed"
`,
  '.github/workflows/report.yml': `name: Report
on: workflow_dispatch
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: echo "lint is clean"
  check:
    runs-on: ubuntu-latest
    steps:
      - name: Build
        run: |
          echo "::group::Compile units"
          for i in $(seq 1 40); do echo "compiling unit $i"; done
          echo "::endgroup::"
          printf '\\033[32mgreen text\\033[0m and \\033[1;31mbold red\\033[0m\\n'
          echo '<img src=x onerror="window.__xss=1">'
          echo '<script>window.__xss=2</script>'
          mkdir -p out && echo "artifact body" > out/result.txt
      - uses: actions/upload-artifact@v4
        with:
          name: results
          path: out/
      - name: Summary
        run: |
          cat >> "$GITHUB_STEP_SUMMARY" <<'MD'
          # Test summary
          | suite | passed |
          |---|---|
          | unit | 12 |

          [click me](javascript:window.__xss=3)

          <img src=x onerror="window.__xss=4">

          <script>window.__xss=5</script>
          MD
      - name: Test
        run: |
          echo "running tests"
          echo "::error file=src/app.c,line=3::assertion failed: boom"
          exit 1
`,
  '.github/workflows/long.yml': `name: Long
on: workflow_dispatch
jobs:
  wait:
    runs-on: ubuntu-latest
    steps:
      - run: echo started && sleep 300
`,
};
