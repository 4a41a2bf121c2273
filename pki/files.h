/*
 * pki/files.h: write a set of key and certificate files all or nothing.
 *
 * A fileset names the files first (pki_fileset_add), then reserves them
 * (pki_fileset_prepare: creates the directory, checks nothing would be overwritten,
 * and opens one temporary file per target with O_CREAT|O_EXCL in the same directory,
 * 0600 for keys, 0644 for certificates), gets its contents (set_key / set_certs) and
 * finally commits: every temporary file is written and fsync'ed, then all are renamed
 * into place with signals blocked. On any failure, or when the set is freed without a
 * commit, every temporary file is unlinked, files already renamed are taken back (an
 * overwritten file gets its old content back), and directories the set created are
 * removed: no new file is left behind.
 *
 * Key files are PKCS#8 PEM ("BEGIN PRIVATE KEY"); certificate files are PEM, one or
 * more certificates in the order given.
 */
#ifndef KT_PKI_FILES_H
#define KT_PKI_FILES_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/err.h"

enum pki_file_kind {
	PKI_FILE_KEY = 0,   /* mode 0600 */
	PKI_FILE_CERT       /* mode 0644 */
};

enum pki_fileset_flags {
	PKI_FILES_FORCE = (1 << 0)   /* replace existing files */
};

#define PKI_FILESET_MAX 32

struct pki_fileset;

/* A new, empty set writing into dir (copied). NULL when out of memory. */
struct pki_fileset *pki_fileset_new(const char *dir, unsigned flags);
/* Abort what was not committed (see above), then free. NULL is a no-op. */
void pki_fileset_free(struct pki_fileset *set);

/*
 * Plan the file dir/name (name: no '/'). Returns its index (>= 0), or KT_E_USAGE
 * (bad name, more than PKI_FILESET_MAX files) / KT_E_INTERNAL with err set.
 */
int pki_fileset_add(struct pki_fileset *set, const char *name, enum pki_file_kind kind, struct kt_err *err);

/*
 * Create the directory if missing (mode 0755, parents too), refuse existing targets
 * unless PKI_FILES_FORCE (KT_E_EXISTS), and open the temporary files (KT_E_IO when the
 * directory cannot be created or written). Call once, after every add.
 */
int pki_fileset_prepare(struct pki_fileset *set, struct kt_err *err);

/* The contents of file idx; the set takes its own references (up-ref), the caller keeps its own. */
int pki_fileset_set_key(struct pki_fileset *set, int idx, EVP_PKEY *key, struct kt_err *err);
int pki_fileset_set_certs(struct pki_fileset *set, int idx, X509 *const *certs, size_t n, struct kt_err *err);

/*
 * Write, fsync and rename every file; all or nothing. Returns 0, KT_E_IO, KT_E_EXISTS
 * (a target appeared since prepare and FORCE is not set) or KT_E_INTERNAL, err set.
 */
int pki_fileset_commit(struct pki_fileset *set, struct kt_err *err);

/* The directory, as given without trailing slashes. */
const char *pki_fileset_dir(const struct pki_fileset *set);

/* "dir/name" of file idx, for messages and summaries; NULL for a bad index. */
const char *pki_fileset_path(const struct pki_fileset *set, int idx);

/*
 * Async-signal-safe: unlink every temporary file the set may have created (and remove
 * the directories it created, if empty and not committed), for a
 * SIGINT/SIGTERM handler in cmd/ (commit itself runs its renames with those signals
 * blocked, so a signal never splits the set). Safe to call on NULL or twice.
 */
void pki_fileset_unlink_temps(const struct pki_fileset *set);

/*
 * Read a PEM private key (any format OpenSSL reads, unencrypted) from path.
 * Returns 0 and a new key in *key, or KT_E_NOTFOUND / KT_E_IO / KT_E_PARSE with err set.
 */
int pki_key_load(const char *path, EVP_PKEY **key, struct kt_err *err);

#endif
