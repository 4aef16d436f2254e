/*
 * tokenize.c - benchmark: a state machine, a tokenizer over generated
 * source text (wasm32, freestanding).
 *
 * Exercises switch dispatch (clang compiles the state switch and the
 * character-class switch to br_table), byte loads and unpredictable
 * branches: the inner loop of a SQL lexer or a protocol parser.  The
 * input (64 KiB) is generated on the first call from an LCG: identifiers,
 * numbers, quoted strings, operators, comments and white space.
 * tokenize(reps) runs the machine over the input reps times and returns
 * a hash of the token kinds and lengths it saw.
 *
 * Exports: tokenize(reps) and bench() = tokenize(16).
 *
 * Book: chapter 8, book/08-cli.md
 */
#define EXPORT(name) __attribute__((export_name(name)))
#define TEXT_LEN 65536u

enum { S_START, S_IDENT, S_NUMBER, S_STRING, S_OP, S_COMMENT };
enum { C_SPACE, C_ALPHA, C_DIGIT, C_QUOTE, C_OP, C_HASH, C_NL, C_OTHER };

static unsigned char text[TEXT_LEN];
static int ready;

static int put(int at, const char *s)
{
    while (*s && at < (int)TEXT_LEN)
        text[at++] = (unsigned char)*s++;
    return at;
}

static void setup(void)
{
    static const char *const pieces[16] = {
        "select ", "x1 ", "42", " ", "+", "'str ing' ", "\n", "# note\n",
        "where", "(", ")", ", ", "3.5 ", "<= ", "name_2", "\"q\"",
    };
    unsigned x = 99;
    int at = 0;
    while (at < (int)TEXT_LEN) {
        x = x * 1103515245u + 12345u;
        at = put(at, pieces[(x >> 16) & 15]);
    }
    ready = 1;
}

static int char_class(unsigned ch)
{
    if (ch == ' ' || ch == '\t')
        return C_SPACE;
    if (ch == '\n')
        return C_NL;
    if ((ch | 32) - 'a' < 26 || ch == '_')
        return C_ALPHA;
    if (ch - '0' < 10)
        return C_DIGIT;
    if (ch == '\'' || ch == '"')
        return C_QUOTE;
    if (ch == '#')
        return C_HASH;
    if (ch == '+' || ch == '<' || ch == '=' || ch == '(' || ch == ')' || ch == ',' || ch == '.')
        return C_OP;
    return C_OTHER;
}

/* One pass; the hash mixes each finished token's kind and length. */
static unsigned run(unsigned hash)
{
    int state = S_START, len = 0;
    unsigned quote = 0;
    for (unsigned i = 0; i < TEXT_LEN; i++) {
        unsigned ch = text[i];
        int cls = char_class(ch);
        switch (state) {
        case S_IDENT:
            if (cls == C_ALPHA || cls == C_DIGIT) { len++; continue; }
            break;
        case S_NUMBER:
            if (cls == C_DIGIT || ch == '.') { len++; continue; }
            break;
        case S_STRING:
            len++;
            if (ch == quote) {   /* the closing quote ends the token */
                state = S_START;
                hash = hash * 33u + (unsigned)(len * 8 + S_STRING);
            }
            continue;
        case S_COMMENT:
            if (cls != C_NL) { len++; continue; }
            break;
        default:
            break;
        }
        if (state != S_START)
            hash = hash * 33u + (unsigned)(len * 8 + state);
        len = 1;
        switch (cls) {
        case C_ALPHA: state = S_IDENT; break;
        case C_DIGIT: state = S_NUMBER; break;
        case C_QUOTE: state = S_STRING; quote = ch; break;
        case C_OP: state = S_OP; break;
        case C_HASH: state = S_COMMENT; break;
        default: state = S_START; break;
        }
    }
    return hash;
}

EXPORT("tokenize") unsigned tokenize(unsigned reps)
{
    if (!ready)
        setup();
    unsigned hash = 5381;
    for (unsigned r = 0; r < reps; r++)
        hash = run(hash);
    return hash;
}

EXPORT("bench") unsigned bench(void)
{
    return tokenize(16);
}
