# Gantry — developer entry points. `make test` and `make demo` work on a fresh machine.
BUILD       ?= build
COV_BUILD   ?= build-coverage
COVERAGE_MIN ?= 50
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
GANTRY      := $(BUILD)/gantry
PREFIX      ?= /usr/local
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

.PHONY: all deps build web test test-coverage lint format bench demo clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

## build: the C++ build, then the web UI (scripts/build-web.sh; skipped with a warning when npm
## is missing).
build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	@scripts/build-web.sh

## web: only the web UI, into web/dist (npm ci when needed, vite build, the 200 KB budget).
web:
	@scripts/build-web.sh

## test: install deps, build, start the private Docker engine (scripts/docker-up.sh; exit 3 =
## no engine possible here, then the Docker tests skip), run every test through ctest.
test: deps
	@$(MAKE) --no-print-directory build
	@dh=$$(scripts/docker-up.sh); rc=$$?; dh=$$(printf "%s\n" "$$dh" | tail -1); \
	  if [ $$rc -eq 3 ]; then echo "make test: no Docker engine here; Docker tests skip"; dh=; \
	  elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	  (cd $(BUILD) && env $$dh ctest --output-on-failure -j $(JOBS)) && \
	  env $$dh $(BUILD)/tests/conformance/conformance --summary

## test-coverage: coverage build, tests, gcovr table and summary, and a Cobertura XML report in
## $(COV_BUILD)/coverage.xml (for gantry/coverage@v1); fails under COVERAGE_MIN percent.
test-coverage: deps
	cmake -S . -B $(COV_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGANTRY_COVERAGE=ON
	cmake --build $(COV_BUILD) -j $(JOBS)
	find $(COV_BUILD) -name '*.gcda' -delete
	cd $(COV_BUILD) && ctest -j $(JOBS) --output-on-failure
	gcovr -r . --filter src/ --exclude '.*_test\.cc' $(COV_BUILD) --print-summary \
	  --txt --cobertura $(COV_BUILD)/coverage.xml --fail-under-line $(COVERAGE_MIN)

## lint: clang-format check of every C++ file, then clang-tidy with .clang-tidy.
lint: deps $(BUILD)/build.ninja
	@files=$$(git ls-files '*.cc' '*.h'); \
	  clang-format --dry-run --Werror $$files && echo "clang-format: clean"
	@scripts/clang-tidy.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

bench: build
	@bench/run.sh $(BUILD)

## demo: build, lint the example workflows, evaluate expressions, run the PR pipeline with
## gantry exec, then with gantry server (scripts/demo-server.sh).
demo: deps
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

## test-podman: the engine tests (DockerClient, DockerContainerHost, `gantry exec` with services)
## against podman's Docker-compatible API service (scripts/podman-up.sh; images copied from the
## dockerd of docker-up.sh) through ctest's podman_engine entry. Stop it: scripts/podman-down.sh.
.PHONY: test-podman
test-podman: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target gantry gantry_backend_test gantry_actions_test \
	  gantry_exec_docker_test
	@scripts/podman-up.sh >/dev/null; rc=$$?; \
	  if [ $$rc -eq 3 ]; then echo "make test-podman: podman cannot run here"; exit 1; fi; \
	  [ $$rc -eq 0 ] || exit $$rc
	cd $(BUILD) && GANTRY_PODMAN=1 ctest -R '^podman_engine$$' --verbose

## images: the container images of deploy/docker/ from the sources (scripts/build-images.sh;
## IMAGES_FLAGS=--prebuilt copies this build's binary and web UI instead of compiling in docker).
.PHONY: images
images:
	@scripts/build-images.sh $(IMAGES_FLAGS)

## docker-up: start (or reuse) the private Docker engine and build the local images;
## prints DOCKER_HOST=unix://... last. Stop it with scripts/docker-down.sh [--purge].
.PHONY: docker-up
docker-up:
	@scripts/docker-up.sh

## install: what `make build` made, under $(DESTDIR)$(PREFIX) (docs/install.md): the binary to
## bin/gantry (STRIP=1 strips its debug info), the web UI (web/dist) to share/gantry/web, the
## systemd units to $(SYSTEMD_UNIT_DIR) (ExecStart=$(PREFIX)/bin/gantry) and the example
## settings to share/gantry/systemd. Builds nothing, overwrites nothing in /etc.
.PHONY: install uninstall
install:
	@test -x $(GANTRY) || { echo "make install: no $(GANTRY): run 'make build' first" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/gantry/systemd \
	  $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 0755 $(if $(filter 1 yes true,$(STRIP)),-s) $(GANTRY) $(DESTDIR)$(PREFIX)/bin/gantry
	@if [ -f web/dist/index.html ]; then \
	  rm -rf $(DESTDIR)$(PREFIX)/share/gantry/web && install -d $(DESTDIR)$(PREFIX)/share/gantry/web && \
	  cp -R web/dist/. $(DESTDIR)$(PREFIX)/share/gantry/web/ && \
	  chmod -R u=rwX,go=rX $(DESTDIR)$(PREFIX)/share/gantry/web && \
	  echo "installed web/dist to $(DESTDIR)$(PREFIX)/share/gantry/web"; \
	else echo "make install: web/dist is not built (make web): the server's / will say so" >&2; fi
	@for unit in gantry-server.service gantry-executor.service gantry-executor@.service; do \
	  sed 's#/usr/bin/gantry#$(PREFIX)/bin/gantry#g' deploy/systemd/$$unit \
	    > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit && chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit && \
	  echo "installed $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit" || exit 1; \
	done
	install -m 0644 deploy/systemd/server.yaml.example deploy/systemd/server.env.example \
	  deploy/systemd/executor.env.example $(DESTDIR)$(PREFIX)/share/gantry/systemd/
	@configured=$$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' $(BUILD)/CMakeCache.txt 2>/dev/null); \
	  if [ -n "$$configured" ] && [ "$$configured" != "$(PREFIX)" ]; then \
	    echo "make install: warning: $(BUILD) was configured for $$configured, so the server" \
	      "looks for its web UI in $$configured/share/gantry/web: set web-dir:" \
	      "$(PREFIX)/share/gantry/web in server.yaml, or build with" \
	      "CMAKE_FLAGS=-DCMAKE_INSTALL_PREFIX=$(PREFIX)" >&2; \
	  fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/gantry $(DESTDIR)$(SYSTEMD_UNIT_DIR)/gantry-server.service \
	  $(DESTDIR)$(SYSTEMD_UNIT_DIR)/gantry-executor.service \
	  $(DESTDIR)$(SYSTEMD_UNIT_DIR)/gantry-executor@.service
	rm -rf $(DESTDIR)$(PREFIX)/share/gantry

clean:
	rm -rf $(BUILD) $(COV_BUILD)
