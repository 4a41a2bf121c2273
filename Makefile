# kubectl kong-tls: build, test, install.
#   make                      build bin/kubectl-kong_tls
#   make test                 unit tests (cmocka) + black-box tests (bats), one summary line
#   make SANITIZE=address,undefined test
#   make install PREFIX=/usr/local
#   make O=build-x            build into another directory (parallel work trees, sanitizer builds)

VERSION    := 0.1.0
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
CC         ?= cc
O          ?= .
PKGS       := libcrypto libssl libcurl libcjson yaml-0.1

KT_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wformat-security -Wvla \
              -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wshadow \
              -I. -DKT_VERSION='"$(VERSION)"' \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
KT_LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lcurl -lcjson -lyaml) -lpthread
CFLAGS     ?= -O2 -g
ALL_CFLAGS  = $(KT_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

# make dist: link the static OpenSSL/curl/cJSON/libyaml that packaging/build-deps.sh made,
# so the binary needs only the C library (STATIC_DEPS = that prefix; set by `make dist`).
ifdef STATIC_DEPS
KT_CFLAGS  := -I$(STATIC_DEPS)/include $(KT_CFLAGS)
KT_LIBS    := $(STATIC_DEPS)/lib/libcurl.a $(STATIC_DEPS)/lib/libcjson.a -L$(STATIC_DEPS)/lib \
              -l:libyaml.a -l:libssl.a -l:libcrypto.a -ldl -lpthread
endif

ifdef SANITIZE
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

PKI_SRC  := $(wildcard pki/*.c)
K8S_SRC  := $(wildcard k8s/*.c)
CMD_SRC  := $(wildcard cmd/*.c)
UNIT_SRC := $(wildcard test/unit/u-*.c)

OBJDIR   := $(O)/obj
PKI_OBJ  := $(PKI_SRC:%.c=$(OBJDIR)/%.o)
K8S_OBJ  := $(K8S_SRC:%.c=$(OBJDIR)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(OBJDIR)/%.o)
LIBPKI   := $(OBJDIR)/libpki.a
LIBK8S   := $(OBJDIR)/libk8s.a
BIN      := $(O)/bin/kubectl-kong_tls
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(O)/bin/test/%)

.PHONY: all test check check-unit check-shell check-boundaries install clean asan man completions dist dist-%
all: $(BIN)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBPKI): $(PKI_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(LIBK8S): $(K8S_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^ $(if $(K8S_OBJ),,)

$(BIN): $(CMD_OBJ) $(LIBK8S) $(LIBPKI)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(LIBK8S) $(LIBPKI) $(KT_LIBS)

$(O)/bin/test/%: test/unit/%.c $(LIBK8S) $(LIBPKI)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBK8S) $(LIBPKI) $(KT_LIBS) -lcmocka

# One summary line "N passed, N failed" over every suite; exits non-zero when any test fails.
test check: $(BIN) $(UNIT_BIN) check-boundaries
	KT=$(abspath $(BIN)) UNIT_DIR=$(abspath $(O)/bin/test) bash test/run.sh

check-unit: $(UNIT_BIN)
	KT=$(abspath $(BIN)) UNIT_DIR=$(abspath $(O)/bin/test) bash test/run.sh unit

check-shell: $(BIN)
	KT=$(abspath $(BIN)) bash test/run.sh shell

# pki/ and k8s/ are libraries: they never print, exit or read the environment.
check-boundaries:
	@! grep -nE '\b(printf|fprintf|puts|perror|exit|abort|getenv)\s*\(|\bstd(err|out)\b' pki/*.c pki/*.h k8s/*.c k8s/*.h 2>/dev/null \
		|| { echo "pki/ and k8s/ must not print, exit or read the environment" >&2; exit 1; }

asan:
	$(MAKE) O=build-asan SANITIZE=address,undefined test

# Generated from the option tables by the binary itself (__man, completion).
SHARE := $(O)/share
man: $(SHARE)/man/kubectl-kong_tls.1
completions: $(SHARE)/completions/kubectl-kong_tls.bash $(SHARE)/completions/_kubectl-kong_tls \
	$(SHARE)/completions/kubectl-kong_tls.fish $(SHARE)/completions/kubectl_complete-kong_tls
$(SHARE)/man/kubectl-kong_tls.1: $(BIN)
	@mkdir -p $(dir $@)
	$(BIN) __man >$@.tmp && mv $@.tmp $@
$(SHARE)/completions/kubectl-kong_tls.bash: $(BIN)
	@mkdir -p $(dir $@)
	$(BIN) completion bash >$@.tmp && mv $@.tmp $@
$(SHARE)/completions/_kubectl-kong_tls: $(BIN)
	@mkdir -p $(dir $@)
	$(BIN) completion zsh >$@.tmp && mv $@.tmp $@
$(SHARE)/completions/kubectl-kong_tls.fish: $(BIN)
	@mkdir -p $(dir $@)
	$(BIN) completion fish >$@.tmp && mv $@.tmp $@
$(SHARE)/completions/kubectl_complete-kong_tls: $(BIN)
	@mkdir -p $(dir $@)
	$(BIN) completion kubectl >$@.tmp && chmod 0755 $@.tmp && mv $@.tmp $@

install: $(BIN) man completions
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kubectl-kong_tls
	install -m 0755 $(SHARE)/completions/kubectl_complete-kong_tls $(DESTDIR)$(PREFIX)/bin/kubectl_complete-kong_tls
	install -m 0644 $(SHARE)/man/kubectl-kong_tls.1 $(DESTDIR)$(PREFIX)/share/man/man1/kubectl-kong_tls.1
	install -m 0644 $(SHARE)/completions/kubectl-kong_tls.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/kubectl-kong_tls
	install -m 0644 $(SHARE)/completions/_kubectl-kong_tls $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_kubectl-kong_tls
	install -m 0644 $(SHARE)/completions/kubectl-kong_tls.fish \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/kubectl-kong_tls.fish

# Release archives dist/kubectl-kong_tls_vX.Y.Z_linux_ARCH.tar.gz whose binary needs only libc,
# for the host (amd64); `make dist DIST_ARCHS="amd64 arm64"` adds arm64 with the cross compiler
# (gcc-aarch64-linux-gnu libc6-dev-arm64-cross; its OpenSSL build takes long on 2 cores).
# Fills their sha256 into krew-manifest.yaml and checks it. The static libraries are built once
# into DIST_DEPS (packaging/build-deps.sh, from Debian source packages) and reused.
DIST_DEPS     ?= build-dist/deps
DIST_OUT      ?= dist
KREW_MANIFEST ?= krew-manifest.yaml
DIST_OS       := linux
DIST_HOST     := $(patsubst x86_64,amd64,$(patsubst aarch64,arm64,$(shell uname -m)))
DIST_ARCHS    ?= $(DIST_HOST)
CROSS_arm64   := aarch64-linux-gnu-
dist_archive   = $(DIST_OUT)/kubectl-kong_tls_v$(VERSION)_$(DIST_OS)_$(1).tar.gz

dist: $(DIST_ARCHS:%=dist-%)
	python3 packaging/krew-manifest.py check $(KREW_MANIFEST) --index-file plugins/kong-tls.yaml \
		$(foreach a,$(DIST_ARCHS),--archive $(DIST_OS)/$(a)=$(call dist_archive,$(a)))

# The man page and completion scripts are the same for every architecture: made by the host build.
dist-%: man completions
	bash packaging/build-deps.sh $(DIST_DEPS) $*
	$(MAKE) O=build-dist/$* STATIC_DEPS=$(abspath $(DIST_DEPS))/prefix$(if $(CROSS_$*),-$*) \
		CC=$(CROSS_$*)$(if $(CROSS_$*),gcc,$(CC)) PKG_CONFIG=false CFLAGS='-O2' SANITIZE= \
		build-dist/$*/bin/kubectl-kong_tls
	bash packaging/make-dist.sh build-dist/$*/bin/kubectl-kong_tls $(SHARE) $(VERSION) $(DIST_OS) $* $(DIST_OUT) \
		$(CROSS_$*)strip
	python3 packaging/krew-manifest.py update $(KREW_MANIFEST) --version v$(VERSION) \
		--platform $(DIST_OS)/$* --sha256 "$$(cut -d' ' -f1 $(call dist_archive,$*).sha256)"

clean:
	rm -rf $(O)/obj $(O)/bin build-* dist

-include $(PKI_OBJ:.o=.d) $(K8S_OBJ:.o=.d) $(CMD_OBJ:.o=.d)

.PHONY: demo
demo: $(BIN)
	KT=$(abspath $(BIN)) bash test/demo.sh
