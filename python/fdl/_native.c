/*
 * _native.c - the C half of the Python module fdl: a library built by
 * `fdlc build` loaded into the process, and an online store over it.
 *
 * The runtime (libfdlrt) is linked into this extension. A generated library
 * leaves the runtime's symbols undefined and resolves them against the
 * process's global scope (as it does inside fdlc), so at import this
 * module re-opens itself RTLD_GLOBAL: its fdl_* symbols then satisfy every
 * generated library it loads later. One copy of the runtime per process.
 *
 * Everything typed is done here with the runtime's own parsers: a key, a
 * request field or an event cell arrives as text (or None for null) and is
 * parsed by fdl_parse_value / the generated ingest function, exactly as
 * fdlc batch and fdl-serve parse CSV cells; Python turns its values into
 * that text (fdl/_convert.py). Values read come back as Python objects:
 * None, int, float, bool, str, int microseconds (timestamps) or a list of
 * floats (vectors); the Python side gives them their final types.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>     /* first; its pyconfig.h defines _GNU_SOURCE (dladdr) */

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "fdlrt.h"

static PyObject *native_error;      /* _native.NativeError(status, message, file, line) */

static const char *status_name(fdl_status status)
{
    switch (status) {
    case FDL_OK: return "ok";
    case FDL_ERR_PARSE: return "parse";
    case FDL_ERR_ARGUMENT: return "argument";
    case FDL_ERR_IO: return "io";
    case FDL_ERR_FORMAT: return "format";
    case FDL_ERR_HISTORY: return "history";
    case FDL_ERR_MEMORY: return "memory";
    case FDL_ERR_ABI: return "abi";
    case FDL_ERR_CHECK: return "check";
    case FDL_ERR_SLA: return "sla";
    case FDL_ERR_LIMIT: return "limit";
    case FDL_DROPPED: return "dropped";
    }
    return "unknown";
}

/* Raises NativeError from a runtime error; returns NULL for `return raise(...)`. */
static PyObject *raise_error(const fdl_error *err)
{
    PyObject *args = Py_BuildValue("(ssNl)", status_name(err->status), err->message,
                                   PyUnicode_DecodeFSDefault(err->file), err->line);
    if (args) {
        PyErr_SetObject(native_error, args);
        Py_DECREF(args);
    }
    return NULL;
}

static PyObject *raise_message(fdl_status status, const char *message)
{
    fdl_error err = {0};
    fdl_error_set(&err, status, "%s", message);
    return raise_error(&err);
}

/* A value read from the store as a new Python object (copied: the store's
 * pointers die at its next change). */
static PyObject *value_to_python(fdl_value v)
{
    switch (v.type) {
    case FDL_NULL: Py_RETURN_NONE;
    case FDL_INT64: return PyLong_FromLongLong(v.as.i);
    case FDL_FLOAT64: return PyFloat_FromDouble(v.as.f);
    case FDL_BOOL: return PyBool_FromLong(v.as.b);
    case FDL_STRING: return PyUnicode_DecodeUTF8(v.as.s.ptr, (Py_ssize_t)v.as.s.len, "replace");
    case FDL_TIMESTAMP: return PyLong_FromLongLong(v.as.t);
    case FDL_VECTOR: {
        PyObject *list = PyList_New(v.dim);
        for (int32_t i = 0; list && i < v.dim; i++) {
            PyObject *f = PyFloat_FromDouble(v.as.v[i]);
            if (!f) {
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, i, f);
        }
        return list;
    }
    }
    PyErr_SetString(PyExc_SystemError, "fdl: a value of unknown type");
    return NULL;
}

/* ------------------------------------------------------------ Library */

typedef struct {
    PyObject_HEAD
    void *handle;
    const fdl_program *program;
} library_object;

static int library_init(library_object *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"path", "name", NULL};
    PyObject *path_bytes = NULL;
    const char *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&s", keywords, PyUnicode_FSConverter,
                                     &path_bytes, &name))
        return -1;
    if (self->handle) {
        Py_DECREF(path_bytes);
        PyErr_SetString(PyExc_RuntimeError, "fdl: a Library is initialised once");
        return -1;
    }
    const char *path = PyBytes_AS_STRING(path_bytes);
    char message[600];
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(message, sizeof message, "cannot load '%s': %s", path, dlerror());
        Py_DECREF(path_bytes);
        raise_message(FDL_ERR_IO, message);
        return -1;
    }
    char symbol[300];
    snprintf(symbol, sizeof symbol, "%s_program", name);
    const fdl_program *(*entry)(void);
    *(void **)&entry = dlsym(handle, symbol);
    if (!entry) {
        snprintf(message, sizeof message, "'%s' has no %s(): not a library built by fdlc build --name %s",
                 path, symbol, name);
        goto fail;
    }
    const fdl_program *program = entry();
    if (program->abi_version != FDL_ABI_VERSION) {
        snprintf(message, sizeof message,
                 "'%s' was built for runtime ABI %d; this module has ABI %d: rebuild it",
                 path, program->abi_version, FDL_ABI_VERSION);
        goto fail;
    }
    Py_DECREF(path_bytes);
    self->handle = handle;
    self->program = program;
    return 0;
fail:
    dlclose(handle);
    Py_DECREF(path_bytes);
    raise_message(FDL_ERR_ABI, message);
    return -1;
}

static void library_dealloc(library_object *self)
{
    /* Every Store holds a reference to its Library, and values read are
     * copied into Python objects: nothing points into the library now. */
    if (self->handle)
        dlclose(self->handle);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *string_list(const char *const *names, int n)
{
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, s);
    }
    return list;
}

static PyObject *int_list(const int *values, int n)
{
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *v = PyLong_FromLong(values[i]);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *fields_list(const fdl_field_desc *fields, int n)
{
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *pair = Py_BuildValue("(ss)", fields[i].name, fdl_type_name(fields[i].type));
        if (!pair) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, pair);
    }
    return list;
}

static PyObject *describe_entity(const fdl_entity_desc *e)
{
    const char *types[64];
    int n = e->nkeys < 64 ? e->nkeys : 64;
    for (int k = 0; k < n; k++)
        types[k] = fdl_type_name(e->key_types[k]);
    return Py_BuildValue("{s:s,s:N,s:N}", "name", e->name, "keys", string_list(e->join_keys, n),
                         "key_types", string_list(types, n));
}

static PyObject *describe_source(const fdl_source_desc *s)
{
    return Py_BuildValue("{s:s,s:N,s:i}", "name", s->name, "fields", fields_list(s->fields, s->nfields),
                         "time_field", s->time_field);
}

static PyObject *describe_feature(const fdl_feature_desc *f)
{
    return Py_BuildValue("{s:s,s:s,s:i,s:N,s:N,s:s}", "name", f->name, "type", fdl_type_name(f->type),
                         "dimension", (int)f->dimension, "entities", int_list(f->entities, f->nentities),
                         "requests", int_list(f->requests, f->nrequests),
                         "description", f->description ? f->description : "");
}

static PyObject *describe_set(const fdl_set_desc *s)
{
    return Py_BuildValue("{s:s,s:N,s:N,s:N}", "name", s->name, "features",
                         int_list(s->features, s->nfeatures), "entities", int_list(s->entities, s->nentities),
                         "requests", int_list(s->requests, s->nrequests));
}

static PyObject *describe_embedding(const fdl_embedding_desc *e)
{
    return Py_BuildValue("{s:s,s:i,s:i,s:s}", "name", e->name, "entity", e->entity, "dimension",
                         (int)e->dimension, "path", e->default_path ? e->default_path : "");
}

/* Appends describe(item i) for i < n to a new list stored in dict[key]. */
#define DESCRIBE_ALL(dict, key, n, describe, items)                          \
    do {                                                                     \
        PyObject *list_ = PyList_New(n);                                     \
        if (!list_ || PyDict_SetItemString(dict, key, list_) < 0) {          \
            Py_XDECREF(list_);                                               \
            goto fail;                                                       \
        }                                                                    \
        Py_DECREF(list_);                                                    \
        for (int i_ = 0; i_ < (n); i_++) {                                   \
            PyObject *item_ = describe(&(items)[i_]);                        \
            if (!item_)                                                      \
                goto fail;                                                   \
            PyList_SET_ITEM(list_, i_, item_);                               \
        }                                                                    \
    } while (0)

/* The program's tables as plain Python data (names, types, indexes). */
static PyObject *library_describe(library_object *self, PyObject *unused)
{
    const fdl_program *p = self->program;
    if (!p)
        return raise_message(FDL_ERR_ARGUMENT, "the library is not loaded");
    PyObject *dict = Py_BuildValue("{s:s,s:s,s:N}", "name", p->name, "fingerprint", p->fingerprint,
                                   "requests", fields_list(p->requests, p->nrequests));
    if (!dict)
        return NULL;
    DESCRIBE_ALL(dict, "entities", p->nentities, describe_entity, p->entities);
    DESCRIBE_ALL(dict, "sources", p->nsources, describe_source, p->sources);
    DESCRIBE_ALL(dict, "embeddings", p->nembeddings, describe_embedding, p->embeddings);
    DESCRIBE_ALL(dict, "features", p->nfeatures, describe_feature, p->features);
    DESCRIBE_ALL(dict, "sets", p->nsets, describe_set, p->sets);
    return dict;
fail:
    Py_DECREF(dict);
    return NULL;
}

static PyMethodDef library_methods[] = {
    {"describe", (PyCFunction)library_describe, METH_NOARGS, "The program's tables as a dict."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject library_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fdl._native.Library",
    .tp_basicsize = sizeof(library_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Library(path, name): a library built by fdlc build, loaded.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)library_init,
    .tp_dealloc = (destructor)library_dealloc,
    .tp_methods = library_methods,
};

/* ------------------------------------------------------------- Store */

typedef struct {
    PyObject_HEAD
    PyObject *library;      /* keeps the program's tables loaded */
    fdl_store *store;
} store_object;

static int store_init(store_object *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"library", "keep_history", "load_embeddings", "lateness", NULL};
    PyObject *library;
    int keep_history = 0, load_embeddings = 1;
    long long lateness = FDL_STORE_DEFAULT_LATENESS;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|ppL", keywords, &library_type, &library,
                                     &keep_history, &load_embeddings, &lateness))
        return -1;
    library_object *lib = (library_object *)library;
    if (self->store || !lib->program) {
        PyErr_SetString(PyExc_RuntimeError, "fdl: a Store is initialised once, over a loaded Library");
        return -1;
    }
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = load_embeddings;
    options.lateness = lateness;
    fdl_error err = {0};
    self->store = fdl_store_open(lib->program, &options, &err);
    if (!self->store) {
        raise_error(&err);
        return -1;
    }
    Py_INCREF(library);
    self->library = library;
    return 0;
}

static void store_dealloc(store_object *self)
{
    if (self->store)
        fdl_store_close(self->store);
    Py_XDECREF(self->library);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static fdl_store *open_store(store_object *self)
{
    if (!self->store)
        raise_message(FDL_ERR_ARGUMENT, "the store is closed");
    return self->store;
}

static PyObject *store_close(store_object *self, PyObject *unused)
{
    if (self->store)
        fdl_store_close(self->store);
    self->store = NULL;
    Py_RETURN_NONE;
}

/*
 * Texts of a sequence of str-or-None as UTF-8 pointers and lengths (NULL
 * for None), borrowed from the items' own UTF-8 caches: valid while seq
 * lives. n: how many the caller expects.
 */
static bool cell_texts(PyObject *seq, Py_ssize_t n, const char **texts, size_t *lengths,
                       const char *what)
{
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        char message[200];
        snprintf(message, sizeof message, "%s: expected %zd values, got %zd", what, n,
                 PySequence_Fast_GET_SIZE(seq));
        raise_message(FDL_ERR_ARGUMENT, message);
        return false;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (item == Py_None) {
            texts[i] = NULL;
            lengths[i] = 0;
            continue;
        }
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "fdl: %s: value %zd is %s, not str or None", what, i,
                         Py_TYPE(item)->tp_name);
            return false;
        }
        Py_ssize_t length;
        texts[i] = PyUnicode_AsUTF8AndSize(item, &length);
        if (!texts[i])
            return false;
        lengths[i] = (size_t)length;
    }
    return true;
}

/* ingest(source, rows): rows of cells (str or None), one per source field
 * in field order; returns how many were accepted (the rest were dropped by
 * an expectation). Stops at the first error, the rows before it ingested. */
static PyObject *store_ingest(store_object *self, PyObject *args)
{
    int source;
    PyObject *rows;
    if (!PyArg_ParseTuple(args, "iO", &source, &rows))
        return NULL;
    fdl_store *store = open_store(self);
    if (!store)
        return NULL;
    const fdl_program *p = fdl_store_program(store);
    if (source < 0 || source >= p->nsources)
        return raise_message(FDL_ERR_ARGUMENT, "no such source");
    int nfields = p->sources[source].nfields;
    PyObject *iterator = PyObject_GetIter(rows);
    if (!iterator)
        return NULL;
    const char **texts = PyMem_Calloc((size_t)nfields + 1, sizeof *texts);
    size_t *lengths = PyMem_Calloc((size_t)nfields + 1, sizeof *lengths);
    long long accepted = 0;
    PyObject *row, *result = NULL;
    bool ok = texts && lengths;
    if (!ok)
        PyErr_NoMemory();
    while (ok && (row = PyIter_Next(iterator))) {
        PyObject *seq = PySequence_Fast(row, "fdl: a row must be a sequence of cells");
        Py_DECREF(row);
        if (!seq || !cell_texts(seq, nfields, texts, lengths, p->sources[source].name)) {
            Py_XDECREF(seq);
            ok = false;
            break;
        }
        fdl_error err = {0};
        fdl_status status = fdl_ingest_row(store, source, texts, lengths, &err);
        Py_DECREF(seq);
        if (status == FDL_OK)
            accepted++;
        else if (status != FDL_DROPPED) {
            raise_error(&err);
            ok = false;
        }
    }
    if (ok && !PyErr_Occurred())
        result = PyLong_FromLongLong(accepted);
    Py_DECREF(iterator);
    PyMem_Free(texts);
    PyMem_Free(lengths);
    return result;
}

/* Parses texts (str or None) as values of the given types into out; the
 * values point into seq's items. */
static bool parse_values(PyObject *seq, int n, const fdl_type *types, fdl_value *out,
                         const char *what)
{
    const char *texts[256];
    size_t lengths[256];
    if (n > 256) {
        raise_message(FDL_ERR_ARGUMENT, "too many values");
        return false;
    }
    if (!cell_texts(seq, n, texts, lengths, what))
        return false;
    for (int i = 0; i < n; i++) {
        fdl_error err = {0};
        if (!texts[i])
            out[i] = fdl_null();
        else if (fdl_parse_value(types[i], texts[i], lengths[i], &out[i], &err) != FDL_OK) {
            char prefix[300];
            snprintf(prefix, sizeof prefix, "%s %d: ", what, i + 1);
            fdl_error_prefix(&err, prefix);
            raise_error(&err);
            return false;
        }
    }
    return true;
}

/* The key columns' types of a list of entities, flattened; -1 if > max. */
static int key_types(const fdl_program *p, const int *entities, int n, fdl_type *types, int max)
{
    int count = 0;
    for (int e = 0; e < n; e++)
        for (int k = 0; k < p->entities[entities[e]].nkeys; k++) {
            if (count == max)
                return -1;
            types[count++] = p->entities[entities[e]].key_types[k];
        }
    return count;
}

/* Reads a set (is_set) or a feature at t: keys (one text per key column),
 * request (texts in the set's / program's request order) or None. */
static PyObject *store_read(store_object *self, PyObject *args, bool is_set)
{
    int index;
    PyObject *keys_arg, *request_arg;
    long long t;
    if (!PyArg_ParseTuple(args, "iOOL", &index, &keys_arg, &request_arg, &t))
        return NULL;
    fdl_store *store = open_store(self);
    if (!store)
        return NULL;
    const fdl_program *p = fdl_store_program(store);
    if (index < 0 || index >= (is_set ? p->nsets : p->nfeatures))
        return raise_message(FDL_ERR_ARGUMENT, is_set ? "no such feature set" : "no such feature");
    const int *entities = is_set ? p->sets[index].entities : p->features[index].entities;
    int nentities = is_set ? p->sets[index].nentities : p->features[index].nentities;
    int nrequests = is_set ? p->sets[index].nrequests : p->nrequests;
    int nout = is_set ? p->sets[index].nfeatures : 1;
    fdl_type types[256];
    fdl_value keys[256], request[256];
    int nkeys = key_types(p, entities, nentities, types, 256);
    if (nkeys < 0 || nrequests > 256)
        return raise_message(FDL_ERR_ARGUMENT, "too many keys or request fields");
    PyObject *keys_seq = PySequence_Fast(keys_arg, "fdl: keys must be a sequence");
    PyObject *request_seq = request_arg == Py_None ? NULL
                          : PySequence_Fast(request_arg, "fdl: request must be a sequence");
    fdl_value *out = PyMem_Calloc((size_t)nout, sizeof *out);
    PyObject *result = NULL;
    if (!keys_seq || (request_arg != Py_None && !request_seq) || !out) {
        if (!out)
            PyErr_NoMemory();
        goto done;
    }
    if (!parse_values(keys_seq, nkeys, types, keys, "key"))
        goto done;
    if (request_seq) {
        for (int r = 0; r < nrequests; r++)
            types[r] = p->requests[is_set ? p->sets[index].requests[r] : r].type;
        if (!parse_values(request_seq, nrequests, types, request, "request field"))
            goto done;
    }
    fdl_error err = {0};
    fdl_status status = is_set
        ? fdl_read_set_request(store, index, keys, request_seq ? request : NULL, t, out, &err)
        : fdl_read_feature_request(store, index, keys, request_seq ? request : NULL, t, out, &err);
    if (status != FDL_OK) {
        raise_error(&err);
        goto done;
    }
    result = PyTuple_New(nout);
    for (int i = 0; result && i < nout; i++) {
        PyObject *v = value_to_python(out[i]);
        if (!v) {
            Py_CLEAR(result);
            break;
        }
        PyTuple_SET_ITEM(result, i, v);
    }
done:
    Py_XDECREF(keys_seq);
    Py_XDECREF(request_seq);
    PyMem_Free(out);
    return result;
}

static PyObject *store_read_set(store_object *self, PyObject *args)
{
    return store_read(self, args, true);
}

static PyObject *store_read_feature(store_object *self, PyObject *args)
{
    return store_read(self, args, false);
}

static PyObject *store_load_embedding(store_object *self, PyObject *args)
{
    int embedding;
    PyObject *path_bytes;
    if (!PyArg_ParseTuple(args, "iO&", &embedding, PyUnicode_FSConverter, &path_bytes))
        return NULL;
    fdl_store *store = open_store(self);
    fdl_error err = {0};
    fdl_status status = store ? fdl_store_load_embedding(store, embedding, PyBytes_AS_STRING(path_bytes), &err)
                              : FDL_ERR_ARGUMENT;
    Py_DECREF(path_bytes);
    if (!store)
        return NULL;
    if (status != FDL_OK)
        return raise_error(&err);
    Py_RETURN_NONE;
}

static PyObject *store_stats(store_object *self, PyObject *unused)
{
    fdl_store *store = open_store(self);
    if (!store)
        return NULL;
    fdl_store_stats s;
    fdl_store_get_stats(store, &s);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "events_ingested",
                         (unsigned long long)s.events_ingested, "events_null_key",
                         (unsigned long long)s.events_null_key, "events_late",
                         (unsigned long long)s.events_late, "events_out_of_order",
                         (unsigned long long)s.events_out_of_order, "entities",
                         (unsigned long long)s.entities, "events_held",
                         (unsigned long long)s.events_held, "bytes_held",
                         (unsigned long long)s.bytes_held);
}

static PyObject *store_source_counts(store_object *self, PyObject *args)
{
    int source;
    if (!PyArg_ParseTuple(args, "i", &source))
        return NULL;
    fdl_store *store = open_store(self);
    if (!store)
        return NULL;
    fdl_source_counts c;
    if (fdl_store_source_counts(store, source, &c) != FDL_OK)
        return raise_message(FDL_ERR_ARGUMENT, "no such source");
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K}", "read", (unsigned long long)c.read, "accepted",
                         (unsigned long long)c.accepted, "dropped", (unsigned long long)c.dropped,
                         "failed", (unsigned long long)c.failed, "clean", (unsigned long long)c.clean);
}

/* set_limits(max_entities, max_bytes): 0 = no bound (fdl_store_set_limits). */
static PyObject *store_set_limits(store_object *self, PyObject *args)
{
    unsigned long long max_entities, max_bytes;
    if (!PyArg_ParseTuple(args, "KK", &max_entities, &max_bytes))
        return NULL;
    fdl_store *store = open_store(self);
    if (!store)
        return NULL;
    fdl_store_set_limits(store, max_entities, max_bytes);
    Py_RETURN_NONE;
}

static PyMethodDef store_methods[] = {
    {"set_limits", (PyCFunction)store_set_limits, METH_VARARGS,
     "set_limits(max_entities, max_bytes): refuse events at these bounds (0: none)."},
    {"ingest", (PyCFunction)store_ingest, METH_VARARGS,
     "ingest(source, rows) -> accepted: rows of str/None cells in field order."},
    {"read_set", (PyCFunction)store_read_set, METH_VARARGS,
     "read_set(set, keys, request, t) -> tuple of values."},
    {"read_feature", (PyCFunction)store_read_feature, METH_VARARGS,
     "read_feature(feature, keys, request, t) -> (value,)."},
    {"load_embedding", (PyCFunction)store_load_embedding, METH_VARARGS,
     "load_embedding(index, path): loads or replaces an embedding table."},
    {"stats", (PyCFunction)store_stats, METH_NOARGS, "The store's counters."},
    {"source_counts", (PyCFunction)store_source_counts, METH_VARARGS, "A source's row counts."},
    {"close", (PyCFunction)store_close, METH_NOARGS, "Frees the store."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject store_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fdl._native.Store",
    .tp_basicsize = sizeof(store_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Store(library, keep_history=False, load_embeddings=True, lateness=...)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)store_init,
    .tp_dealloc = (destructor)store_dealloc,
    .tp_methods = store_methods,
};

/* ------------------------------------------------------------ module */

static PyObject *native_now(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(fdl_now());
}

/* parse_time(text) -> microseconds, with the runtime's parser (RFC 3339 or epoch seconds). */
static PyObject *native_parse_time(PyObject *self, PyObject *args)
{
    const char *text;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "s#", &text, &length))
        return NULL;
    fdl_time t;
    fdl_error err = {0};
    if (fdl_parse_time(text, (size_t)length, &t, &err) != FDL_OK)
        return raise_error(&err);
    return PyLong_FromLongLong(t);
}

static PyObject *native_format_time(PyObject *self, PyObject *args)
{
    long long t;
    if (!PyArg_ParseTuple(args, "L", &t))
        return NULL;
    char buf[64];
    size_t n = fdl_format_time(t, buf, sizeof buf);
    return PyUnicode_FromStringAndSize(buf, (Py_ssize_t)n);
}

static PyMethodDef native_functions[] = {
    {"now", native_now, METH_NOARGS, "The wall clock in microseconds since the epoch."},
    {"parse_time", native_parse_time, METH_VARARGS, "RFC 3339 or epoch seconds -> microseconds."},
    {"format_time", native_format_time, METH_VARARGS, "microseconds -> RFC 3339 (UTC)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "fdl._native", "The runtime of fdl, and libraries built by fdlc.", -1,
    native_functions, NULL, NULL, NULL, NULL,
};

/* Puts this extension's symbols (the runtime) in the global scope, for the
 * generated libraries dlopen'ed later. */
static bool export_runtime(void)
{
    Dl_info info;
    if (!dladdr(&native_module, &info) || !info.dli_fname) {
        PyErr_SetString(PyExc_ImportError, "fdl: cannot find the extension's own file");
        return false;
    }
    if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)) {
        PyErr_Format(PyExc_ImportError, "fdl: cannot export the runtime: %s", dlerror());
        return false;
    }
    return true;
}

PyMODINIT_FUNC PyInit__native(void);

PyMODINIT_FUNC PyInit__native(void)
{
    if (!export_runtime() || PyType_Ready(&library_type) < 0 || PyType_Ready(&store_type) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&native_module);
    if (!module)
        return NULL;
    native_error = PyErr_NewException("fdl._native.NativeError", NULL, NULL);
    if (!native_error || PyModule_AddObjectRef(module, "NativeError", native_error) < 0
        || PyModule_AddIntConstant(module, "ABI_VERSION", FDL_ABI_VERSION) < 0
        || PyModule_AddObjectRef(module, "Library", (PyObject *)&library_type) < 0
        || PyModule_AddObjectRef(module, "Store", (PyObject *)&store_type) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
