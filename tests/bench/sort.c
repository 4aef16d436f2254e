/*
 * sort.c - benchmark: merge sort of a linked list (wasm32, freestanding).
 *
 * Exercises pointer chasing (loads whose address came from a load),
 * data-dependent branches and recursion: the shape of code that walks
 * database pages and index nodes.  sort(n) builds a list of n nodes with
 * keys from an LCG, sorts it with a top-down merge sort (split by
 * slow/fast pointers, merge iteratively), checks that the result is
 * sorted, and returns a position-weighted hash of the keys (or -1 if the
 * list came out unsorted, which would mean the engine is wrong).
 *
 * Exports: sort(n) for n <= 65536 and bench() = sort(50000).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))
#define MAX_NODES 65536

typedef struct Node {
    unsigned key;
    struct Node *next;
} Node;

static Node nodes[MAX_NODES];

static Node *build(int n)
{
    unsigned x = 7;
    Node *head = 0;
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        nodes[i].key = x >> 8;
        nodes[i].next = head;
        head = &nodes[i];
    }
    return head;
}

static Node *merge(Node *p, Node *q)
{
    Node dummy;
    Node *tail = &dummy;
    while (p && q) {
        if (q->key < p->key) {
            tail->next = q;
            q = q->next;
        } else {
            tail->next = p;
            p = p->next;
        }
        tail = tail->next;
    }
    tail->next = p ? p : q;
    return dummy.next;
}

static Node *msort(Node *head)
{
    if (!head || !head->next)
        return head;
    Node *slow = head, *fast = head->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    Node *second = slow->next;
    slow->next = 0;
    return merge(msort(head), msort(second));
}

EXPORT("sort") int sort(int n)
{
    if (n < 0 || n > MAX_NODES)
        return -1;
    Node *p = msort(build(n));
    unsigned hash = 0, i = 1;
    for (; p; p = p->next, i++) {
        if (p->next && p->next->key < p->key)
            return -1;
        hash = hash * 31u + p->key * i;
    }
    return (int)hash;
}

EXPORT("bench") int bench(void)
{
    return sort(50000);
}
