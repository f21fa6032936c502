/* structseq.c — named records that are also tuples (see structseq.h).
 *
 * Owns: the StructSeq object layout and the types made by
 * structseq_new_type. Each such type is built like a static type (an
 * immortal Type readied by type_ready), with one extra part: its field
 * names, which repr and attribute lookup read.
 * Must not touch: the tuple's own implementation (it is used through the
 * public tuple API and the abstract protocols).
 */
#include <stdlib.h>
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"

typedef struct {
    Type type;                 /* first: a StructSeqType is a Type */
    const char *display;
    const char *const *fields;
    size_t nfields, nseq;
} StructSeqType;

typedef struct {
    Obj h;
    Value seq;                 /* a tuple of the first nseq fields */
    Value extra;               /* a tuple of the others (attributes only) */
} StructSeqObj;

#define SS_TYPE(v) ((StructSeqType *)AS_OBJ(v)->type)
#define SS(v)      ((StructSeqObj *)AS_OBJ(v))

static void ss_dealloc(Obj *o);
static Value ss_repr(Value self);

bool structseq_check(Value v) {
    return IS_OBJ(v) && AS_OBJ(v)->type->dealloc == ss_dealloc && AS_OBJ(v)->type->repr == ss_repr;
}

Value structseq_get(Value v, size_t i) {
    StructSeqType *t = SS_TYPE(v);
    return i < t->nseq ? TUPLE_ITEMS(SS(v)->seq)[i] : TUPLE_ITEMS(SS(v)->extra)[i - t->nseq];
}

Value structseq_new(Type *type, const Value *items) {
    StructSeqType *t = (StructSeqType *)type;
    StructSeqObj *o = (StructSeqObj *)gc_alloc(type, sizeof(StructSeqObj));
    if (!o) return VNULL;
    o->seq = tuple_from_array(items, t->nseq);
    o->extra = tuple_from_array(items + t->nseq, t->nfields - t->nseq);
    if (!o->seq || !o->extra) { decref(OBJ_VAL(o)); return VNULL; }
    return OBJ_VAL(o);
}

/* ===== slots ======================================================================== */

static void ss_dealloc(Obj *o) {
    StructSeqObj *s = (StructSeqObj *)o;
    clearref(&s->seq);
    clearref(&s->extra);
}

static void ss_traverse(Obj *o, VisitFn visit, void *arg) {
    StructSeqObj *s = (StructSeqObj *)o;
    if (s->seq) visit(s->seq, arg);
    if (s->extra) visit(s->extra, arg);
}

static void ss_clear(Obj *o) { ss_dealloc(o); }

/* time.struct_time(tm_year=2024, tm_mon=1, …) */
static Value ss_repr(Value self) {
    StructSeqType *t = SS_TYPE(self);
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_fmt("%s(...)", t->display);
    StrBuf b;
    sb_init(&b);
    sb_adds(&b, t->display);
    sb_addc(&b, '(');
    for (size_t i = 0; i < t->nseq; i++) {
        if (i) sb_adds(&b, ", ");
        sb_adds(&b, t->fields[i]);
        sb_addc(&b, '=');
        if (sb_add_value_repr(&b, TUPLE_ITEMS(SS(self)->seq)[i]) < 0) {
            repr_leave(self);
            sb_free(&b);
            return VNULL;
        }
    }
    sb_addc(&b, ')');
    repr_leave(self);
    return sb_finish(&b);
}

static Value ss_getattr(Value self, Value name) {
    StructSeqType *t = SS_TYPE(self);
    if (IS_STR(name)) {
        for (size_t i = 0; i < t->nfields; i++)
            if (str_eq_cstr(name, t->fields[i])) return incref(structseq_get(self, i));
    }
    return obj_generic_getattr(self, name);
}

static intptr_t ss_len(Value self) { return (intptr_t)TUPLE_LEN(SS(self)->seq); }
static Value ss_getitem(Value self, Value key) { return obj_getitem(SS(self)->seq, key); }
static Value ss_iter(Value self) { return obj_iter(SS(self)->seq); }
static int ss_contains(Value self, Value item) { return obj_contains(SS(self)->seq, item); }
static int64_t ss_hash(Value self) { return obj_hash(SS(self)->seq); }

/* Compared as the tuples they are: version_info >= (3, 8). */
static Value ss_richcmp(Value a, Value b, RichCmpOp op) {
    Value x = structseq_check(a) ? SS(a)->seq : a;
    Value y = structseq_check(b) ? SS(b)->seq : b;
    if (!IS_TYPE(x, &TupleType) || !IS_TYPE(y, &TupleType)) return incref(NotImplemented);
    return obj_richcmp(x, y, op);
}

/* time.struct_time((2024, 1, …)): from a sequence of the right length. */
static Value ss_new(Type *type, Value *args, size_t nargs, Value kwnames) {
    StructSeqType *t = (StructSeqType *)type;
    if (args_no_kw(type->name, kwnames) || args_count(type->name, nargs, 1, 1)) return VNULL;
    Value seq = tuple_from_iterable(args[0]);
    if (!seq) return VNULL;
    size_t n = TUPLE_LEN(seq);
    if (n < t->nseq || n > t->nfields) {
        decref(seq);
        if (t->nseq == t->nfields)
            return err_format(&Exc_TypeError, "%s() takes a %zu-sequence (%zu-sequence given)", t->display, t->nseq, n);
        return err_format(&Exc_TypeError, "%s() takes an at least %zu-sequence (%zu-sequence given)", t->display, t->nseq, n);
    }
    Value items[32];
    size_t i;
    for (i = 0; i < t->nfields && i < 32; i++) items[i] = i < n ? TUPLE_ITEMS(seq)[i] : None;
    Value r = structseq_new(type, items);
    decref(seq);
    return r;
}

Type *structseq_new_type(const char *name, const char *module, const char *display,
                         const char *const *fields, size_t nseq) {
    StructSeqType *t = calloc(1, sizeof *t);
    if (!t) { err_no_memory(); return NULL; }
    size_t n = 0;
    while (fields[n]) n++;
    if (n > 32 || nseq > n) { free(t); err_format(&Exc_SystemError, "bad struct sequence"); return NULL; }
    t->display = display;
    t->fields = fields;
    t->nfields = n;
    t->nseq = nseq;
    Type *ty = &t->type;
    ty->h.rc = IMMORTAL_RC;    /* like a static type: lives until exit */
    ty->h.type = &TypeType;
    ty->name = name;
    ty->flags = TF_GC;
    ty->size = sizeof(StructSeqObj);
    ty->tp_new = ss_new;
    ty->dealloc = ss_dealloc;
    ty->traverse = ss_traverse;
    ty->clear = ss_clear;
    ty->repr = ss_repr;
    ty->getattr = ss_getattr;
    ty->len = ss_len;
    ty->getitem = ss_getitem;
    ty->iter = ss_iter;
    ty->contains = ss_contains;
    ty->hash = ss_hash;
    ty->richcmp = ss_richcmp;
    ty->module = str_from_cstr(module);
    if (!ty->module || type_ready(ty) < 0) return NULL;
    Value nf = int_from_i64((int64_t)n), ns = int_from_i64((int64_t)nseq);
    dict_set_str(ty->dict, "n_fields", nf);
    dict_set_str(ty->dict, "n_sequence_fields", ns);
    dict_set_str(ty->dict, "n_unnamed_fields", MK_INT(0));
    return ty;
}
