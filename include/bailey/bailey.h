/*
 * bailey.h — Bailey's public headers share this file: the version and the
 * symbol-visibility convention.
 *
 * Public headers live in include/bailey/ only. Each exposes opaque handles and
 * documents, per function, what it guarantees and what it does not do.
 */
#ifndef BAILEY_BAILEY_H
#define BAILEY_BAILEY_H

#define BAILEY_VERSION_MAJOR 0
#define BAILEY_VERSION_MINOR 1
#define BAILEY_VERSION_PATCH 0

/* Marks a symbol of a public library's ABI. */
#define BAILEY_API __attribute__((visibility("default")))

#endif
