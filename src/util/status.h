/*
 * status.h - the one project-wide error vocabulary.
 *
 * Every fallible function in tinystdb returns a Status.  ST_OK is zero so
 * `if (st != ST_OK) goto fail;` reads naturally.  A Status says *what kind*
 * of thing went wrong; the human-readable details (byte offset, trap message,
 * offending name) travel separately, in the caller-supplied error record of
 * the subsystem (e.g. WasmError in src/wasm/wasm.h).
 *
 * Invariants: the enum is append-only within a release so numbers written to
 * logs stay meaningful; status_str() has a string for every value.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_STATUS_H
#define TINYSTDB_STATUS_H

typedef enum Status {
    ST_OK = 0,
    ST_NOMEM,       /* allocation failed (or was injected to fail) */
    ST_MALFORMED,   /* bytes do not follow the format (wasm binary, BSATN, JSON) */
    ST_INVALID,     /* well-formed but breaks a typing/validation rule */
    ST_LINK,        /* an import could not be resolved or has the wrong type */
    ST_TRAP,        /* WebAssembly trap: execution stopped, state may be partial */
    ST_NOT_FOUND,   /* a name, key or row that was asked for does not exist */
    ST_EXISTS,      /* a unique key or name is already taken */
    ST_LIMIT,       /* a configured limit (size, depth, fuel, pages) was hit */
    ST_IO,          /* an operating-system I/O call failed */
    ST_ARG,         /* a caller passed a bad argument (usage error) */
    ST_UNSUPPORTED, /* recognised but deliberately not implemented */
    ST__COUNT
} Status;

/* A short lowercase description ("out of memory"); never NULL. */
const char *status_str(Status st);

#endif
