/*
 * store.c - the WebAssembly store: the objects instances are made of, the
 * host objects of the embedding API, and wasm_call.
 *
 * The spec (4.2.3) describes a "store" holding every function, table,
 * memory and global instance; module instances only hold *addresses* into
 * it.  We do the same with pointers: an instance's funcs[] entry is a
 * pointer to a WasmFuncInst owned by the store, so importing a function,
 * table, memory or global simply copies the pointer and both instances
 * see one object.
 *
 * Ownership is deliberately simple: every heap object is recorded once in
 * the store's list (store_own) and freed only by wasm_store_free.  No
 * reference counting, no early frees: a funcref stored in some other
 * instance's table can never dangle.  The price is that objects of a
 * failed instantiation live until the store goes away, which is exactly
 * what the spec wants for tables and memories that a trapping
 * instantiation already wrote to.
 *
 * Invariants (checked by store_check): see runtime.h; in addition the
 * interned types canon_types[0..ncanon_types) are pairwise distinct, and
 * stack <= sp <= stack + stack_cells.
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#include "store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>

#include "../util/alloc.h"

#define STORE_DEFAULT_STACK_CELLS ((size_t)1 << 20)
#define STORE_DEFAULT_CALL_DEPTH 10000u

/* A C-stack budget for one outermost wasm_call, in bytes (see
 * c_stack_floor). */
#define C_STACK_UNKNOWN_BUDGET ((size_t)4 << 20)
#define C_STACK_MAX_BUDGET ((size_t)256 << 20)

struct WasmObject {
    WasmObject *next;
    StoreObjKind kind;
    void *ptr;
};

/* ---- creation and destruction ------------------------------------------ */

WasmStore *wasm_store_new(const WasmStoreConfig *cfg)
{
    WasmStoreConfig c = cfg ? *cfg : (WasmStoreConfig){0};
    WasmStore *s = mem_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->stack_cells = c.stack_cells ? c.stack_cells : STORE_DEFAULT_STACK_CELLS;
    s->stack = mem_alloc_array(s->stack_cells, sizeof *s->stack);
    if (!s->stack) {
        mem_free(s);
        return NULL;
    }
    s->sp = s->stack;
    s->max_depth = c.max_call_depth ? c.max_call_depth : STORE_DEFAULT_CALL_DEPTH;
    s->max_memory_pages = c.max_memory_pages && c.max_memory_pages < WASM_MAX_PAGES
                              ? c.max_memory_pages
                              : WASM_MAX_PAGES;
    s->fuel = UINT64_MAX;
    return s;
}

/* Free one owned object and everything it points to. */
static void free_owned(StoreObjKind kind, void *ptr)
{
    switch (kind) {
    case STORE_OBJ_BLOCK:
        break;
    case STORE_OBJ_HOST_FUNC:
        mem_free(((WasmFuncInst *)ptr)->own_type.types);
        break;
    case STORE_OBJ_MEMORY:
        mem_free(((WasmMemInst *)ptr)->data);
        break;
    case STORE_OBJ_TABLE:
        mem_free(((WasmTableInst *)ptr)->elems);
        break;
    case STORE_OBJ_INSTANCE:
        instance_free(ptr);   /* frees the instance struct too */
        return;
    }
    mem_free(ptr);
}

void wasm_store_free(WasmStore *s)
{
    if (!s)
        return;
    WasmObject *o = s->objects;
    while (o) {
        WasmObject *next = o->next;
        free_owned(o->kind, o->ptr);
        mem_free(o);
        o = next;
    }
    for (uint32_t i = 0; i < s->ncanon_types; i++)
        mem_free(s->canon_types[i].types);
    mem_free(s->canon_types);
    mem_free(s->stack);
    mem_free(s);
}

Status store_own(WasmStore *s, StoreObjKind kind, void *obj)
{
    WasmObject *o = mem_alloc(sizeof *o);
    if (!o) {
        free_owned(kind, obj);
        return ST_NOMEM;
    }
    o->kind = kind;
    o->ptr = obj;
    o->next = s->objects;
    s->objects = o;
    return ST_OK;
}

/* ---- execution state ---------------------------------------------------- */

void wasm_store_set_fuel(WasmStore *s, uint64_t fuel)
{
    s->fuel = fuel;
}

uint64_t wasm_store_fuel(const WasmStore *s)
{
    return s->fuel;
}

void wasm_store_set_trace(WasmStore *s, FILE *out)
{
    s->trace = out;
}

Status wasm_trap(WasmStore *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->trap_msg, sizeof s->trap_msg, fmt, ap);
    va_end(ap);
    return ST_TRAP;
}

WasmInstance *wasm_store_caller(const WasmStore *s)
{
    return s->caller;
}

/* ---- type interning ------------------------------------------------------ */

static bool func_types_equal(const WasmFuncType *a, const WasmFuncType *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, (size_t)a->nparams + a->nresults) == 0;
}

/* A linear search: a store sees a few dozen distinct signatures, and
 * interning happens at instantiation, never per call. */
uint32_t store_type_id(WasmStore *s, const WasmFuncType *ft)
{
    for (uint32_t i = 0; i < s->ncanon_types; i++)
        if (func_types_equal(&s->canon_types[i], ft))
            return i;
    if (s->ncanon_types == UINT32_MAX - 1)
        return UINT32_MAX;
    if (s->ncanon_types == s->canon_cap) {
        uint32_t cap = s->canon_cap ? s->canon_cap * 2 : 16;
        WasmFuncType *grown = mem_realloc_array(s->canon_types, cap, sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        s->canon_types = grown;
        s->canon_cap = cap;
    }
    size_t n = (size_t)ft->nparams + ft->nresults;
    uint8_t *types = mem_alloc(n);
    if (!types)
        return UINT32_MAX;
    memcpy(types, ft->types, n);
    s->canon_types[s->ncanon_types] =
        (WasmFuncType){.nparams = ft->nparams, .nresults = ft->nresults, .types = types};
    return s->ncanon_types++;
}

/* ---- host functions ------------------------------------------------------ */

WasmFuncInst *wasm_host_func_new(WasmStore *s, const uint8_t *params, uint32_t nparams,
                                 const uint8_t *results, uint32_t nresults,
                                 WasmHostFn fn, void *user)
{
    if (!fn)
        return NULL;   /* a host function without code could not be called */
    WasmFuncInst *f = mem_calloc(1, sizeof *f);
    uint8_t *types = mem_alloc((size_t)nparams + nresults);
    if (!f || !types) {
        mem_free(f);
        mem_free(types);
        return NULL;
    }
    if (nparams)
        memcpy(types, params, nparams);
    if (nresults)
        memcpy(types + nparams, results, nresults);
    f->own_type = (WasmFuncType){.nparams = nparams, .nresults = nresults, .types = types};
    f->type = &f->own_type;
    f->host = fn;
    f->host_data = user;
    f->type_id = store_type_id(s, f->type);
    if (f->type_id == UINT32_MAX) {
        mem_free(types);
        mem_free(f);
        return NULL;
    }
    return store_own(s, STORE_OBJ_HOST_FUNC, f) == ST_OK ? f : NULL;
}

const WasmFuncType *wasm_func_type(const WasmFuncInst *f)
{
    return f->type;
}

/* ---- memories ------------------------------------------------------------ */

/* The most pages this memory may ever have. */
static uint32_t memory_page_limit(const WasmMemInst *mem)
{
    uint32_t limit = mem->page_cap < WASM_MAX_PAGES ? mem->page_cap : WASM_MAX_PAGES;
    if (mem->limits.has_max && mem->limits.max < limit)
        limit = mem->limits.max;
    return limit;
}

Status store_alloc_memory(WasmStore *s, WasmLimits limits, WasmMemInst **out, WasmError *err)
{
    *out = NULL;
    if (limits.has_max && limits.max < limits.min)
        return wasm_error(err, ST_ARG, -1, "size minimum must not be greater than maximum");
    if (limits.min > s->max_memory_pages)
        return wasm_error(err, ST_LIMIT, -1,
                          "memory too large: %" PRIu32 " pages, the store allows %" PRIu32,
                          limits.min, s->max_memory_pages);
    WasmMemInst *mem = mem_calloc(1, sizeof *mem);
    if (!mem)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    /* calloc, not malloc + memset: untouched pages stay unbacked. */
    mem->data = mem_calloc(limits.min, WASM_PAGE_SIZE);
    if (!mem->data) {
        mem_free(mem);
        return wasm_error(err, ST_NOMEM, -1, "out of memory: %" PRIu32 " pages", limits.min);
    }
    mem->pages = limits.min;
    mem->size = (uint64_t)limits.min * WASM_PAGE_SIZE;
    mem->limits = limits;
    mem->page_cap = s->max_memory_pages;
    if (store_own(s, STORE_OBJ_MEMORY, mem) != ST_OK)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    *out = mem;
    return ST_OK;
}

WasmMemInst *wasm_memory_new(WasmStore *s, WasmLimits limits)
{
    WasmMemInst *mem;
    return store_alloc_memory(s, limits, &mem, NULL) == ST_OK ? mem : NULL;
}

uint64_t wasm_memory_size(const WasmMemInst *mem)
{
    return mem->size;
}

uint8_t *wasm_memory_ptr(WasmMemInst *mem, uint64_t addr, uint64_t len)
{
    /* Written so that no sum can overflow: addr + len might. */
    if (addr > mem->size || len > mem->size - addr)
        return NULL;
    return mem->data + addr;
}

Status wasm_memory_read(WasmMemInst *mem, uint64_t addr, void *dst, size_t len)
{
    const uint8_t *p = wasm_memory_ptr(mem, addr, len);
    if (!p)
        return ST_ARG;
    if (len)
        memcpy(dst, p, len);
    return ST_OK;
}

Status wasm_memory_write(WasmMemInst *mem, uint64_t addr, const void *src, size_t len)
{
    uint8_t *p = wasm_memory_ptr(mem, addr, len);
    if (!p)
        return ST_ARG;
    if (len)
        memcpy(p, src, len);
    return ST_OK;
}

/* memory.grow (spec 4.4.7): realloc keeps the old bytes, the new pages are
 * zeroed.  The data pointer may move, so anyone caching mem->data must
 * re-read it after a grow (the interpreter does, after calls and
 * memory.grow). */
int64_t wasm_memory_grow(WasmMemInst *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    uint64_t want = (uint64_t)old + delta;
    if (want > memory_page_limit(mem))
        return -1;
    if (delta == 0)
        return old;
    uint8_t *data = mem_realloc_array(mem->data, (size_t)want, WASM_PAGE_SIZE);
    if (!data)
        return -1;   /* the spec allows grow to fail for lack of resources */
    memset(data + mem->size, 0, (size_t)delta * WASM_PAGE_SIZE);
    mem->data = data;
    mem->pages = (uint32_t)want;
    mem->size = want * WASM_PAGE_SIZE;
    return old;
}

/* ---- tables and globals --------------------------------------------------- */

Status store_alloc_table(WasmStore *s, WasmTableType type, WasmTableInst **out, WasmError *err)
{
    *out = NULL;
    if (type.limits.has_max && type.limits.max < type.limits.min)
        return wasm_error(err, ST_ARG, -1, "size minimum must not be greater than maximum");
    if (type.limits.min > WASM_TABLE_MAX_ELEMS)
        return wasm_error(err, ST_LIMIT, -1,
                          "table too large: %" PRIu32 " elements, at most %u allowed",
                          type.limits.min, WASM_TABLE_MAX_ELEMS);
    WasmTableInst *t = mem_calloc(1, sizeof *t);
    if (!t)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    /* Zeroed cells are null references, so calloc fills the table. */
    t->elems = mem_calloc(type.limits.min, sizeof *t->elems);
    if (!t->elems) {
        mem_free(t);
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    }
    t->size = type.limits.min;
    t->type = type;
    if (store_own(s, STORE_OBJ_TABLE, t) != ST_OK)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    *out = t;
    return ST_OK;
}

WasmTableInst *wasm_table_new(WasmStore *s, WasmTableType type)
{
    WasmTableInst *t;
    return store_alloc_table(s, type, &t, NULL) == ST_OK ? t : NULL;
}

uint32_t wasm_table_size(const WasmTableInst *t)
{
    return t->size;
}

Status wasm_table_get(const WasmTableInst *t, uint32_t idx, WasmCell *out)
{
    if (idx >= t->size)
        return ST_ARG;
    *out = t->elems[idx];
    return ST_OK;
}

WasmGlobalInst *wasm_global_new(WasmStore *s, WasmGlobalType type, WasmCell value)
{
    WasmGlobalInst *g = mem_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->type = type;
    g->value = value;
    return store_own(s, STORE_OBJ_BLOCK, g) == ST_OK ? g : NULL;
}

WasmGlobalType wasm_global_type(const WasmGlobalInst *g)
{
    return g->type;
}

WasmCell wasm_global_get(const WasmGlobalInst *g)
{
    return g->value;
}

void wasm_global_set(WasmGlobalInst *g, WasmCell v)
{
    g->value = v;
}

/* ---- calls ------------------------------------------------------------------ */

/* Each wasm -> host -> wasm_call -> wasm round trip adds C frames, so a
 * guest that makes its host recurse without end must trap before the
 * process's stack runs out; interp_call compares its position with
 * s->c_stack_limit.  The outermost wasm_call sets that floor `budget`
 * bytes below its own frame: 3/4 of the stack rlimit (the other quarter is
 * margin for the host above us, for host functions and libc below the last
 * check, and for the larger frames of sanitizer builds), at most 256 MiB,
 * and 4 MiB when the limit cannot be read.  Stacks grow downwards on every
 * platform we target. */
static size_t c_stack_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0)
        return C_STACK_UNKNOWN_BUDGET;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 * 3 > C_STACK_MAX_BUDGET)
        return C_STACK_MAX_BUDGET;
    return (size_t)(rl.rlim_cur / 4 * 3);
}

/* The current C stack position.  The frame address, not a local's
 * address: sanitizers may move locals to a heap "fake stack". */
static uintptr_t c_stack_here(void)
{
#if defined(__GNUC__)
    return (uintptr_t)__builtin_frame_address(0);
#else
    volatile char here = 0;
    return (uintptr_t)&here;
#endif
}

static uintptr_t c_stack_floor(void)
{
    uintptr_t here = c_stack_here();
    size_t budget = c_stack_budget();
    return here > budget ? here - budget : 1;
}

static Status call_host(WasmStore *s, WasmFuncInst *f, const WasmCell *args,
                        WasmCell *results)
{
    s->caller = NULL;   /* called by the embedder, not by wasm code */
    return f->host(s, f->host_data, args, results);
}

/* Arguments and results share one buffer (interp_call's convention); it is
 * carved from the top of the operand stack so a call allocates nothing. */
static Status call_wasm(WasmStore *s, WasmFuncInst *f, const WasmCell *args,
                        WasmCell *results)
{
    const WasmFuncType *ft = f->type;
    size_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    if ((size_t)(s->stack + s->stack_cells - s->sp) < n)
        return wasm_trap(s, "call stack exhausted");
    WasmCell *buf = s->sp;
    s->sp += n;
    if (ft->nparams)
        memcpy(buf, args, ft->nparams * sizeof *buf);
    Status st = interp_call(s, f, buf);
    if (st == ST_OK && ft->nresults)
        memcpy(results, buf, ft->nresults * sizeof *buf);
    return st;
}

Status wasm_call(WasmStore *s, WasmFuncInst *f, const WasmCell *args, WasmCell *results,
                 WasmError *err)
{
    const WasmFuncType *ft = f->type;
    if ((ft->nparams && !args) || (ft->nresults && !results))
        return wasm_error(err, ST_ARG, -1, "wasm_call: missing argument or result array");
    /* A host function may call wasm_call again (re-entrancy), so save
     * everything the call disturbs and restore it on the way out; after a
     * trap this is also what makes the store usable again. */
    WasmCell *sp = s->sp;
    uint32_t depth = s->depth;
    WasmInstance *caller = s->caller;
    uintptr_t limit = s->c_stack_limit;
    if (!limit)   /* outermost call: nested ones keep the outer floor */
        s->c_stack_limit = c_stack_floor();
    s->trap_msg[0] = '\0';
    Status st = f->host ? call_host(s, f, args, results) : call_wasm(s, f, args, results);
    s->sp = sp;
    s->depth = depth;
    s->caller = caller;
    s->c_stack_limit = limit;
    if (st != ST_OK)
        return wasm_error(err, st, -1, "%s", s->trap_msg[0] ? s->trap_msg : status_str(st));
    return ST_OK;
}

/* ---- printing and checking --------------------------------------------------- */

const char *wasm_valtype_name(uint8_t type)
{
    switch (type) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_V128: return "v128";
    case WASM_FUNCREF: return "funcref";
    case WASM_EXTERNREF: return "externref";
    default: return "?";
    }
}

static bool memory_ok(const WasmMemInst *mem)
{
    return mem->data && mem->size == (uint64_t)mem->pages * WASM_PAGE_SIZE &&
           mem->pages <= memory_page_limit(mem) && mem->pages >= mem->limits.min;
}

static bool table_ok(const WasmTableInst *t)
{
    return t->elems && t->size >= t->type.limits.min &&
           (!t->type.limits.has_max || t->size <= t->type.limits.max);
}

Status store_check(const WasmStore *s)
{
    if (!s->stack || s->sp < s->stack || s->sp > s->stack + s->stack_cells ||
        s->depth > s->max_depth || s->max_memory_pages == 0 ||
        s->max_memory_pages > WASM_MAX_PAGES || s->ncanon_types > s->canon_cap)
        return ST_INVALID;
    for (const WasmObject *o = s->objects; o; o = o->next) {
        if (o->kind == STORE_OBJ_MEMORY && !memory_ok(o->ptr))
            return ST_INVALID;
        if (o->kind == STORE_OBJ_TABLE && !table_ok(o->ptr))
            return ST_INVALID;
    }
    for (uint32_t i = 0; i < s->ncanon_types; i++)
        for (uint32_t j = i + 1; j < s->ncanon_types; j++)
            if (func_types_equal(&s->canon_types[i], &s->canon_types[j]))
                return ST_INVALID;
    return ST_OK;
}
