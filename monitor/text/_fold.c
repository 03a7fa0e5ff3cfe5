/* The normaliser's per-character passes (monitor.text.characters), one pass each in C.

Why by hand: the fold table is ours (built in characters.py from Unicode data and our
Arabic rules), and no library applies a per-code-point table that folds, categorises and
drops in one go while telling which characters it dropped (the offsets of a hit depend on
it). numpy did it in a dozen whole-text passes (encode, take, strided views, tobytes,
decode, replace; then the one-letter-word and spacing passes), ~9 ms per MB of Arabic text
on the bench machine, as much as the bare Aho-Corasick scan the match is measured against;
these loops cost well under 1 ms/MB. Pure Python per character is 50x slower still.

The text is scraped and untrusted: every table is checked for its exact size before use,
every index into a table is bounded by that size (a code point is checked against the BMP
or astral range before it reads anything), and outputs are sized from the input length
with an overflow check. Lone surrogates are ordinary BMP code points here: the table marks
them CAREFUL, as the numpy path did.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define BMP 0x10000
#define ASTRAL (0x110000 - BMP)
#define CAREFUL 'C'
#define DROPPED 'D'
#define SPACE ' '
#define FIRST_LETTER 'a' /* the two letter categories, 'a' and 'l', sort last */
#define ASTRAL_CAREFUL 0x80 /* flag on an astral category: its fold needs the careful path */

/* A table argument: bytes of exactly `size` bytes, or an exception. */
static const unsigned char *
table(PyObject *arg, Py_ssize_t size, const char *name)
{
    if (!PyBytes_Check(arg) || PyBytes_GET_SIZE(arg) != size) {
        PyErr_Format(PyExc_ValueError, "%s: bytes of length %zd expected", name, size);
        return NULL;
    }
    return (const unsigned char *)PyBytes_AS_STRING(arg);
}

static int
check_args(Py_ssize_t nargs, Py_ssize_t expected, PyObject *const *args, const char *name)
{
    if (nargs != expected) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments", name, expected);
        return -1;
    }
    if (!PyUnicode_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "%s(): a str expected", name);
        return -1;
    }
    return 0;
}

/* Folds text[0:n] (code units of TYPE) into `out`: categories in `categories`, one per
   input character; returns how many characters were dropped, or -1 on a CAREFUL one. */
#define FOLD_LOOP(TYPE, OUT_TYPE)                                               \
    static Py_ssize_t fold_##TYPE(const TYPE *text, Py_ssize_t n,               \
                                  const unsigned char *folds,                   \
                                  const unsigned char *astral, OUT_TYPE *out,   \
                                  unsigned char *categories, int *changed)      \
    {                                                                           \
        Py_ssize_t drops = 0;                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                    \
            Py_UCS4 cp = text[i], folded;                                       \
            unsigned char category;                                             \
            if (cp < BMP) {                                                     \
                const unsigned char *entry = folds + 4 * (size_t)cp;            \
                category = entry[3];                                            \
                folded = (Py_UCS4)entry[0] | (Py_UCS4)entry[1] << 8;            \
            }                                                                   \
            else if (cp - BMP < ASTRAL) {                                       \
                category = astral[cp - BMP];                                    \
                if (category & ASTRAL_CAREFUL)                                  \
                    return -1;                                                  \
                folded = cp;                                                    \
            }                                                                   \
            else                                                                \
                return -1; /* not a code point: a str cannot hold it */         \
            if (category == CAREFUL)                                            \
                return -1;                                                      \
            categories[i] = category;                                           \
            if (category == DROPPED) {                                          \
                drops++;                                                        \
                continue;                                                       \
            }                                                                   \
            out[i - drops] = (OUT_TYPE)folded;                                  \
            *changed |= folded != cp;                                           \
        }                                                                       \
        *changed |= drops != 0;                                                 \
        return drops;                                                           \
    }

FOLD_LOOP(Py_UCS1, Py_UCS2)
FOLD_LOOP(Py_UCS2, Py_UCS2)
FOLD_LOOP(Py_UCS4, Py_UCS4)

/* `categories` without its DROPPED bytes (`kept` of them remain). */
static PyObject *
without_drops(const unsigned char *categories, Py_ssize_t n, Py_ssize_t kept)
{
    PyObject *result = PyBytes_FromStringAndSize(NULL, kept);
    if (result == NULL)
        return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t j = 0;
    for (Py_ssize_t i = 0; i < n && j < kept; i++)
        if (categories[i] != DROPPED)
            out[j++] = categories[i];
    return result;
}

/* (folded, categories, before_drop) from the folded characters, or None (see fold). */
static PyObject *
folded_result(PyObject *text, void *out, int out_kind, Py_ssize_t kept, int changed,
              PyObject *before, Py_ssize_t n)
{
    PyObject *folded, *categories, *before_drop;
    if (changed)
        folded = PyUnicode_FromKindAndData(out_kind, out, kept); /* canonical: max found */
    else
        folded = Py_NewRef(text);
    if (folded == NULL)
        return NULL;
    if (kept == n) {
        categories = Py_NewRef(before);
        before_drop = Py_NewRef(Py_None);
    }
    else {
        categories = without_drops((unsigned char *)PyBytes_AS_STRING(before), n, kept);
        before_drop = Py_NewRef(before);
        if (categories == NULL) {
            Py_DECREF(folded);
            Py_DECREF(before_drop);
            return NULL;
        }
    }
    return Py_BuildValue("(NNN)", folded, categories, before_drop);
}

PyDoc_STRVAR(fold_doc,
"fold(text, folds, astral) -> (folded, categories, before_drop) | None\n\n"
"folds: per BMP code point 4 bytes, the folded code point (little-endian, 2 bytes), 0, and\n"
"its category (or DROPPED, CAREFUL); astral: per astral code point its category, with\n"
"0x80 set when it needs the careful path. None when some character does.");

static PyObject *
fold(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_args(nargs, 3, args, "fold") < 0)
        return NULL;
    const unsigned char *folds = table(args[1], 4 * (Py_ssize_t)BMP, "folds");
    const unsigned char *astral = folds ? table(args[2], ASTRAL, "astral") : NULL;
    if (astral == NULL)
        return NULL;
    PyObject *text = args[0];
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    int out_kind = kind == PyUnicode_4BYTE_KIND ? kind : PyUnicode_2BYTE_KIND;
    if (n > PY_SSIZE_T_MAX / 4)
        return PyErr_NoMemory();
    void *out = PyMem_Malloc(n ? (size_t)n * out_kind : 1);
    PyObject *before = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL || before == NULL) {
        PyMem_Free(out);
        Py_XDECREF(before);
        return PyErr_NoMemory();
    }
    unsigned char *categories = (unsigned char *)PyBytes_AS_STRING(before);
    const void *data = PyUnicode_DATA(text);
    int changed = 0;
    Py_ssize_t drops;
    if (kind == PyUnicode_1BYTE_KIND)
        drops = fold_Py_UCS1(data, n, folds, astral, out, categories, &changed);
    else if (kind == PyUnicode_2BYTE_KIND)
        drops = fold_Py_UCS2(data, n, folds, astral, out, categories, &changed);
    else
        drops = fold_Py_UCS4(data, n, folds, astral, out, categories, &changed);
    PyObject *result = drops < 0
        ? Py_NewRef(Py_None)
        : folded_result(text, out, out_kind, n - drops, changed, before, n);
    PyMem_Free(out);
    Py_DECREF(before);
    return result;
}

PyDoc_STRVAR(categorise_doc,
"categorise(text, categories, astral) -> bytes\n\n"
"The category of each character: categories per BMP code point (one byte each), astral\n"
"as for fold (the careful flag ignored).");

static PyObject *
categorise(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_args(nargs, 3, args, "categorise") < 0)
        return NULL;
    const unsigned char *bmp = table(args[1], BMP, "categories");
    const unsigned char *astral = bmp ? table(args[2], ASTRAL, "astral") : NULL;
    if (astral == NULL)
        return NULL;
    PyObject *text = args[0];
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *result = PyBytes_FromStringAndSize(NULL, n);
    if (result == NULL)
        return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, data, i);
        out[i] = cp < BMP ? bmp[cp] : cp - BMP < ASTRAL ? astral[cp - BMP] & ~ASTRAL_CAREFUL : '.';
    }
    return result;
}

/* ' ' + text + ' ' with a space for each character whose alnum byte is 0, one loop per
   storage width (no branch on the width per character: the compiler vectorises it). */
#define SPACES_LOOP(TYPE)                                                         \
    static void spaces_##TYPE(const void *data, void *out_data, Py_ssize_t n,     \
                              const unsigned char *alnum)                         \
    {                                                                             \
        const TYPE *text = data;                                                  \
        TYPE *out = out_data;                                                     \
        out[0] = SPACE;                                                           \
        for (Py_ssize_t i = 0; i < n; i++)                                        \
            out[i + 1] = alnum[text[i]] ? text[i] : SPACE;                        \
        out[n + 1] = SPACE;                                                       \
    }

SPACES_LOOP(Py_UCS1)
SPACES_LOOP(Py_UCS2)

PyDoc_STRVAR(words_between_spaces_doc,
"words_between_spaces(text, alnum) -> str | None\n\n"
"' ' + text + ' ' with a space for every character whose alnum byte (one per BMP code\n"
"point) is 0; None when the text has an astral character.");

static PyObject *
words_between_spaces(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_args(nargs, 2, args, "words_between_spaces") < 0)
        return NULL;
    const unsigned char *alnum = table(args[1], BMP, "alnum");
    if (alnum == NULL)
        return NULL;
    PyObject *text = args[0];
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_4BYTE_KIND)
        Py_RETURN_NONE; /* only a str with an astral character is stored 4 bytes wide */
    if (n > PY_SSIZE_T_MAX / 2 - 2)
        return PyErr_NoMemory();
    void *out = PyMem_Malloc((size_t)(n + 2) * kind);
    if (out == NULL)
        return PyErr_NoMemory();
    if (kind == PyUnicode_1BYTE_KIND)
        spaces_Py_UCS1(data, out, n, alnum);
    else
        spaces_Py_UCS2(data, out, n, alnum);
    PyObject *result = PyUnicode_FromKindAndData(kind, out, n + 2);
    PyMem_Free(out);
    return result;
}

/* The bytes argument of a categories function, or an exception. */
static const unsigned char *
categories_arg(PyObject *arg, Py_ssize_t *n, const char *name)
{
    if (!PyBytes_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "%s(): bytes expected", name);
        return NULL;
    }
    *n = PyBytes_GET_SIZE(arg);
    return (const unsigned char *)PyBytes_AS_STRING(arg);
}

/* Appends `item` (a new reference, or NULL after a failed call) to `list`, taking the
   reference; on failure drops `list` too and returns -1. */
static int
append_new(PyObject *list, PyObject *item)
{
    int failed = item == NULL || PyList_Append(list, item) < 0;
    Py_XDECREF(item);
    if (failed)
        Py_DECREF(list);
    return failed ? -1 : 0;
}

/* The categories argument and an empty list for the results, or NULL. */
static PyObject *
categories_and_list(PyObject *arg, const unsigned char **categories, Py_ssize_t *n,
                    const char *name)
{
    *categories = categories_arg(arg, n, name);
    return *categories ? PyList_New(0) : NULL;
}

#define BLOCK 256

/* Whether categories[i] is a letter with no letter on either side (a byte beyond
   either end counts as no letter). */
static inline int
is_alone(const unsigned char *categories, Py_ssize_t n, Py_ssize_t i)
{
    int before = i > 0 ? categories[i - 1] >= FIRST_LETTER : 0;
    int after = i + 1 < n ? categories[i + 1] >= FIRST_LETTER : 0;
    return (categories[i] >= FIRST_LETTER) & !before & !after;
}

/* The same for 0 < i < n - 1, with no bounds to test: the compiler vectorises a loop of
   these. */
static inline int
is_alone_inside(const unsigned char *categories, Py_ssize_t i)
{
    return (categories[i] >= FIRST_LETTER) & (categories[i - 1] < FIRST_LETTER)
        & (categories[i + 1] < FIRST_LETTER);
}

PyDoc_STRVAR(one_letter_words_doc,
"one_letter_words(categories) -> list[int]\n\n"
"Where a letter category stands with no letter on either side.");

static PyObject *
one_letter_words(PyObject *module, PyObject *arg)
{
    Py_ssize_t n;
    const unsigned char *categories;
    PyObject *result = categories_and_list(arg, &categories, &n, "one_letter_words");
    if (result == NULL)
        return NULL;
    /* letters and spaces alternate every few bytes, too irregularly for a branch per
       byte: each block is first tested without one (the compiler vectorises that) */
    for (Py_ssize_t block = 0; block < n; block += BLOCK) {
        Py_ssize_t stop = block + BLOCK < n ? block + BLOCK : n;
        Py_ssize_t first = block ? block : 1, last = stop < n ? stop : n - 1;
        int found = is_alone(categories, n, block) | is_alone(categories, n, stop - 1);
        for (Py_ssize_t i = first; i < last; i++)
            found |= is_alone_inside(categories, i);
        for (Py_ssize_t i = block; found && i < stop; i++) {
            if (!is_alone(categories, n, i))
                continue;
            if (append_new(result, PyLong_FromSsize_t(i)) < 0)
                return NULL;
        }
    }
    return result;
}

PyDoc_STRVAR(has_double_space_doc,
"has_double_space(categories) -> bool\n\n"
"Whether two SPACE categories stand side by side (bytes.find stops at every space).");

static PyObject *
has_double_space(PyObject *module, PyObject *arg)
{
    Py_ssize_t n;
    const unsigned char *categories = categories_arg(arg, &n, "has_double_space");
    if (categories == NULL)
        return NULL;
    for (Py_ssize_t block = 0; block + 1 < n; block += BLOCK) {
        Py_ssize_t stop = block + BLOCK < n - 1 ? block + BLOCK : n - 1;
        int found = 0;
        for (Py_ssize_t i = block; i < stop; i++)
            found |= (categories[i] == SPACE) & (categories[i + 1] == SPACE);
        if (found)
            Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

#define MARK 'M'
#define LATIN 'a'
#define MAX_JOIN 16

/* The spans of the runs of `category`; with `between_letters`, only runs of at most
   MAX_JOIN with a letter category on each side. */
static PyObject *
runs_of(PyObject *arg, unsigned char category, int between_letters, const char *name)
{
    Py_ssize_t n;
    const unsigned char *categories;
    PyObject *result = categories_and_list(arg, &categories, &n, name);
    if (result == NULL)
        return NULL;
    const unsigned char *at = categories, *end = categories + n;
    while ((at = memchr(at, category, (size_t)(end - at))) != NULL) {
        const unsigned char *stop = at;
        while (stop < end && *stop == category)
            stop++;
        int kept = !between_letters
            || (at > categories && at[-1] >= FIRST_LETTER && stop < end
                && *stop >= FIRST_LETTER && stop - at <= MAX_JOIN);
        if (kept
            && append_new(result, Py_BuildValue("(nn)", at - categories, stop - categories)) < 0)
            return NULL;
        at = stop;
    }
    return result;
}

PyDoc_STRVAR(marks_between_letters_doc,
"marks_between_letters(categories) -> list[tuple[int, int]]\n\n"
"The spans of the runs of 1 to 16 MARK categories with a letter category on each side\n"
"(for categories without BOTH: what the pattern M(?<=[al]M)M{0,15}(?=[al]) finds).");

static PyObject *
marks_between_letters(PyObject *module, PyObject *arg)
{
    return runs_of(arg, MARK, 1, "marks_between_letters");
}

PyDoc_STRVAR(latin_runs_doc,
"latin_runs(categories) -> list[tuple[int, int]]\n\n"
"The spans of the runs of ASCII_LETTER categories (what the pattern a+ finds).");

static PyObject *
latin_runs(PyObject *module, PyObject *arg)
{
    return runs_of(arg, LATIN, 0, "latin_runs");
}

PyDoc_STRVAR(kept_before_drops_doc,
"kept_before_drops(before_drop) -> list[int]\n\n"
"For each DROPPED category, how many other categories stand before it.");

static PyObject *
kept_before_drops(PyObject *module, PyObject *arg)
{
    Py_ssize_t n;
    const unsigned char *categories;
    PyObject *result = categories_and_list(arg, &categories, &n, "kept_before_drops");
    if (result == NULL)
        return NULL;
    const unsigned char *at = categories, *end = categories + n;
    while ((at = memchr(at, DROPPED, (size_t)(end - at))) != NULL) {
        if (append_new(result, PyLong_FromSsize_t(at - categories - PyList_GET_SIZE(result))) < 0)
            return NULL;
        at++;
    }
    return result;
}

static PyMethodDef methods[] = {
    {"fold", (PyCFunction)(void (*)(void))fold, METH_FASTCALL, fold_doc},
    {"categorise", (PyCFunction)(void (*)(void))categorise, METH_FASTCALL, categorise_doc},
    {"words_between_spaces", (PyCFunction)(void (*)(void))words_between_spaces, METH_FASTCALL,
     words_between_spaces_doc},
    {"one_letter_words", one_letter_words, METH_O, one_letter_words_doc},
    {"has_double_space", has_double_space, METH_O, has_double_space_doc},
    {"kept_before_drops", kept_before_drops, METH_O, kept_before_drops_doc},
    {"marks_between_letters", marks_between_letters, METH_O, marks_between_letters_doc},
    {"latin_runs", latin_runs, METH_O, latin_runs_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fold",
    "The normaliser's per-character passes; tables and meaning in monitor.text.characters.",
    0, methods,
};

PyMODINIT_FUNC
PyInit__fold(void)
{
    return PyModule_Create(&module);
}
