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

.PHONY: all test check check-unit check-shell check-boundaries install clean asan
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

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kubectl-kong_tls

clean:
	rm -rf $(O)/obj $(O)/bin build-* dist

-include $(PKI_OBJ:.o=.d) $(K8S_OBJ:.o=.d) $(CMD_OBJ:.o=.d)

.PHONY: demo
demo: $(BIN)
	KT=$(abspath $(BIN)) bash test/demo.sh
