/*
 * expr.y - the grammar of the expression language and of .fdl definition
 * files, and expr_parse() / expr_parse_definitions().
 *
 * One grammar, two start symbols: the caller picks the first token
 * (START_EXPRESSION or START_FILE, sent by yylex before any input), so that
 * `where` filters and derived `expr(...)` bodies in .fdl files are parsed by
 * the very same expression rules as expressions from YAML. In expression
 * mode the scanner never produces the file tokens, so expressions parse
 * exactly as they always did (the file keywords are plain names there).
 *
 * Expressions. Precedence, loosest first, is written as one rule per level
 * so that the grammar itself rejects chained comparisons (`a < b < c`) and
 * postfix forms on comparisons (`a is null is null`):
 *
 *   expr        = conjunction { "or" conjunction }
 *   conjunction = negation { "and" negation }
 *   negation    = "not" negation | comparison
 *   comparison  = sum [ ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum
 *                     | ["not"] "in" "(" expr { "," expr } ")"
 *                     | "is" ["not"] "null" ]
 *   sum         = product { ("+" | "-") product }
 *   product     = unary { ("*" | "/" | "%") unary }
 *   unary       = ("-" | "+") unary | primary
 *   primary     = integer | float | string | "true" | "false" | "null"
 *               | name [ "." name ] | name "(" [ expr { "," expr } ] ")"
 *               | "(" expr ")"
 *               | "request" "." name          (in .fdl files, where request is a keyword)
 *
 * Definition files (.fdl; `#` starts a comment to the end of the line):
 *
 *   file       = { definition }
 *   definition = entity | source | embedding | feature | set
 *   entity     = "entity" name "{" "key" ( column | "(" column { "," column } ")" ) "}"
 *                [ string ]
 *   column     = name [ ":" type ]                      (type string when omitted)
 *   source     = "source" name "at" name "{" [ source_fields ] "}" { source_clause }
 *   source_fields = source_field { "," source_field } [ "," ]
 *   source_field  = name ":" type { part }     (on_invalid POLICY, expect(EXPECTATION, ...))
 *   source_clause = string | name | name "(" specs ")"   (a description, expect(...), sla(...))
 *              | name integer name                   (retention 90d, a duration as a window's)
 *   specs      = spec { "," spec } [ "," ]
 *   spec       = ( name | "in" | "expr" "(" expr ")" ) { part }
 *   part       = name [ "." name ] | literal | "[" [ item { "," item } [ "," ] ] "]"
 *              | "(" [ specs ] ")"
 *   item       = name | literal
 *   literal    = ["-"] integer | ["-"] float | string | "true" | "false" | "null"
 *                (expectations, policies and SLA items are specs: a word and its
 *                parts, e.g. `range [0, 100] clamp`; front_fdl.c reads which parts
 *                each word takes, so none of those words is reserved)
 *   fields     = field { "," field } [ "," ]
 *   field      = name ":" type                          (a set's request)
 *   embedding  = "embedding" name "of" name "dimension" integer "from" string [ string ]
 *   feature    = "feature" name "of" name { "," name } [ ":" type ] "=" body { clause }
 *   body       = name "(" [ argument { "," argument } ] ")" [ "over" window [ "hop" hop ] ]
 *              | "expr" "(" expr ")"
 *   argument   = name [ "." name ] [ "where" expr ] | integer | float
 *              | "[" [ expr { "," expr } ] "]"          (a list of percentiles)
 *   window     = N ("s" | "m" | "h" | "d" | "w") | "lifetime"
 *                (the word after `over` is taken whole and checked as YAML checks window:)
 *   hop        = N ("s" | "m" | "h" | "d" | "w")          (as YAML's hop:; `hop` is a
 *                keyword right after a window only)
 *   clause     = string                                  (the description)
 *              | "tags" "(" tag { "," tag } ")"          (tag = name | keyword | string)
 *              | "online"                                (online_compute: true)
 *              | "default" ( ["-"] integer | ["-"] float | string | "true" | "false" )
 *                (clauses in any order, each at most once)
 *   set        = "set" name "{" [ name { "," name } [ "," ] ] "}"
 *                [ "request" "{" [ fields ] "}" ] [ string ]
 *
 * In a body, lookup_embedding(MODEL [, DIMENSION]) and cosine_similarity(
 * [ENTITY.]FEATURE, [ENTITY.]FEATURE) are computations; any other function
 * is an aggregation FUNCTION(SOURCE[.FIELD] [where FILTER] [, K | , P]),
 * where the parameter is k for first_k, last_k, top_k, max_k and min_k and the percentile (or a
 * list [P, ...] of them) for percentile and approx_percentile, and
 * min_by/max_by(SOURCE.FIELD, BY) name the ordering field BY. Reserved in .fdl files (lowercase only; `name` in backquotes
 * is a name whatever it spells): entity source embedding feature set key of
 * at over where tags online default request dimension from lifetime expr,
 * besides the expression keywords (and or not in is null true false).
 *
 * Locations are byte offsets into the parsed text; they become file spans
 * only when a node or a diagnostic is made (expr_grammar_span). Nodes live
 * in the caller's arena, so nothing needs a %destructor.
 *
 * Depth is bounded twice, so that neither bison's stack nor any later
 * recursive walk over the tree can grow without limit: the scanner counts
 * open parentheses and pending prefix operators, and every action that
 * builds a node checks the depth of the tree it makes. Both report
 * "expression nested too deeply" and stop the parse. Definition lists are
 * left-recursive, so a file of any length keeps bison's stack flat.
 *
 * Error recovery: in an expression, at the closing parenthesis or list
 * comma; in a file, at the next definition keyword (each of which resets
 * yyerrok, so an error in the very next definition is reported too). A
 * definition broken after its name is still declared, by name only (and
 * its entities), as YAML declares a definition with bad keys: references
 * to it then resolve instead of each adding an "unknown name" error.
 *
 * This file is the only user of the scanner (expr.l); the rest of the
 * compiler sees only expr_parse.h. expr_tokenize(), at the end, is a door
 * for the scanner's unit tests.
 */

%code requires {
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "expr_parse.h"
#include "front_fdl.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Byte offsets into the expression text: [start, end). */
typedef struct expr_location {
    uint32_t start, end;
} expr_location;

/* A parsed expression and how deeply its tree nests (a leaf is 0). */
typedef struct expr_value {
    expr *node;          /* NULL after a syntax error inside it */
    int depth;
} expr_value;

/* Items of an argument or `in` list, and the deepest item's depth. */
typedef struct expr_items {
    expr **items;
    int count;
    int depth;
} expr_items;

/* Several errors per expression help; pages of them do not. */
enum { EXPR_MAX_ERRORS = 10 };

/* State shared by the scanner and the parser for one expr_parse() call. */
typedef struct expr_parser {
    source_set *sources;
    arena *arena;
    int file;
    uint32_t base;
    const uint32_t *offsets;
    const char *text;
    size_t length;
    expr *result;
    fdl_context *fdl;        /* file mode: where definitions go; NULL for one expression */
    int start_token;         /* START_EXPRESSION or START_FILE, sent first */
    bool start_sent;
    int max_errors;          /* EXPR_MAX_ERRORS, or FDL_MAX_SYNTAX_ERRORS in file mode */
    size_t tokens;           /* scanned so far, against FDL_MAX_TOKENS in file mode */
    bool error_seen;         /* some error was found (reported or not) */
    uint32_t last_error_start;   /* where the latest was: errors come in text order */

    int errors;              /* reported by this parse */
    bool abandoned;          /* stop: scanner returns end of input, no more reports */
    bool token_flagged;      /* the scanner reported an error on the token at flagged_start */
    uint32_t flagged_start;
    uint32_t last_token_end; /* where "end of expression" is reported */

    /* scanner */
    uint32_t position;       /* offset of the next byte to scan */
    int previous_token;      /* to tell prefix from infix operators */
    int open_parentheses;
    int pending_prefix;      /* prefix operators still waiting for their operand */
    int nesting;             /* open parentheses + all pending prefix operators */
    int prefix_before[EXPR_MAX_DEPTH + 1];   /* pending_prefix saved at each "(" */
    uint32_t paren_start[EXPR_MAX_DEPTH + 1];  /* where each open "(" is, for "to match this '('" */
    /* File mode, a definition keyword or the end reached with "(" open: the
     * scanner reports it, hands the parser UNCLOSED (an error it does not
     * report again) and the ")" owed, then the held token, so recovery
     * stops there and the next definition is parsed as written. */
    uint32_t definition_start;   /* offset of the current definition's keyword */
    int closes_owed;
    bool holding;
    int held_token;
    uint32_t held_start, held_end;

    /* the string literal being scanned */
    char *string_bytes;      /* malloc'd scratch, freed by expr_parse */
    size_t string_length, string_capacity;
    uint32_t string_start;   /* offset of the opening quote */
}
expr_parser;

/* Helpers shared with the scanner (defined at the end of this file). */
span expr_grammar_span(const expr_parser *p, uint32_t start, uint32_t end);
/* Reports a syntax error; false when it was not shown (too many). */
bool expr_grammar_error(expr_parser *p, uint32_t start, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* After a shown error: "note: to match this '('" at the innermost open one. */
void expr_grammar_note_open(expr_parser *p);
void expr_grammar_describe_byte(unsigned char c, char out[8]);
}

%code provides {
int yylex(YYSTYPE *value, YYLTYPE *location, yyscan_t scanner);
}

%code {
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "suggest.h"
#include <string.h>

/* A rule's location runs from its first symbol to its last; empty rules sit
 * at the end of what came before. */
#define YYLLOC_DEFAULT(current, rhs, count)                      \
    do {                                                         \
        if (count) {                                             \
            (current).start = YYRHSLOC(rhs, 1).start;            \
            (current).end = YYRHSLOC(rhs, count).end;            \
        } else {                                                 \
            (current).start = (current).end = YYRHSLOC(rhs, 0).end; \
        }                                                        \
    } while (0)

static void yyerror(YYLTYPE *location, yyscan_t scanner, expr_parser *parser, const char *message);
static bool check_depth(expr_parser *p, int depth, expr_location where);
static bool make_unary(expr_parser *p, expr_value *out, expr_op op, expr_value operand,
                       expr_location whole, expr_location op_location);
static bool make_binary(expr_parser *p, expr_value *out, expr_op op, expr_value left,
                        expr_value right, expr_location whole, expr_location op_location);
static bool make_in(expr_parser *p, expr_value *out, expr_value operand, expr_items list,
                    bool negated, expr_location whole, expr_location op_location);
static bool make_is_null(expr_parser *p, expr_value *out, expr_value operand, bool negated,
                         expr_location whole, expr_location op_location);
static bool make_call(expr_parser *p, expr_value *out, const char *name, expr_location name_location,
                      expr_items args, expr_location whole);
static expr_value make_leaf(expr_parser *p, expr_kind kind, expr_location where);
static expr_items list_start(expr_parser *p, expr_value item);
static expr_items list_append(expr_parser *p, expr_items list, expr_value item);
static expr_value syntax_error_value(void);
static fdl_clause default_written(expr_parser *p, expr_location first, expr_location last);
static fdl_part value_written(expr_parser *p, expr_location first, expr_location last,
                              expr_kind literal, const expr *node);
static expr *whole_tree(const expr_parser *p, expr_value value, expr_location where);

/* In file-mode actions: where definitions go, and a location as a file span. */
#define FDL (parser->fdl)
#define SPAN(location) expr_grammar_span(parser, (location).start, (location).end)
}

%define api.pure full
%define api.token.prefix {TOK_}
%define api.location.type {expr_location}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {expr_parser *parser}

%initial-action {
    @$.start = @$.end = 0;
}

%union {
    expr_value value;
    expr_items items;
    const char *name;
    expr_op op;
    /* definition files */
    ast_name ident;
    fdl_names names;
    fdl_fields fields;
    ast_field field;
    fdl_arg arg;
    fdl_args args;
    fdl_body *body;
    fdl_clause clause;
    fdl_clauses *clauses;
    fdl_part part;
    fdl_parts parts;
    fdl_spec spec;
    fdl_specs specs;
    fdl_source_clause source_clause;
    fdl_source_clauses *source_clauses;
}

%token <value> INT "integer" FLOAT "float" STRING "string"
%token <name> NAME "name"
%token OR "or" AND "and" NOT "not" IN "in" IS "is"
%token NULL "null" TRUE "true" FALSE "false"
%token EQ "=" NE "!=" LT "<" LE "<=" GT ">" GE ">="
%token PLUS "+" MINUS "-" STAR "*" SLASH "/" PERCENT "%"
%token LPAREN "(" RPAREN ")" COMMA "," DOT "."

/* Chosen by the caller, never scanned. */
%token START_EXPRESSION START_FILE
/* Definition files only: the scanner makes these in file mode alone. */
%token ENTITY "entity" SOURCE "source" EMBEDDING "embedding" FEATURE "feature" SET "set"
%token KEY "key" OF "of" AT "at" OVER "over" WHERE "where" TAGS "tags" ONLINE "online"
%token DEFAULT "default" REQUEST "request" DIMENSION "dimension" FROM "from"
%token LIFETIME "lifetime" EXPR "expr" HOP "hop"
%token LBRACE "{" RBRACE "}" COLON ":" LBRACKET "[" RBRACKET "]"
/* Made by the scanner after an unclosed "(" (see expr_parser); in no rule. */
%token UNCLOSED "unclosed '('"
%token <name> WINDOW "window"

%nterm <value> expr conjunction negation comparison sum product unary primary item
%nterm <items> arguments items
%nterm <op> comparison_operator
%nterm <name> description
%nterm <ident> value_type window hop tag
%nterm <names> entity_names feature_names feature_list tags
%nterm <fields> key_columns fields field_list request
%nterm <field> key_column field
%nterm <arg> argument reference
%nterm <args> call_arguments argument_list
%nterm <body> body
%nterm <clause> clause default_value
%nterm <clauses> clauses
%nterm <fields> source_fields source_field_list
%nterm <field> source_field
%nterm <part> part literal
%nterm <parts> parts list list_parts
%nterm <spec> spec
%nterm <specs> specs spec_list
%nterm <source_clause> source_clause
%nterm <source_clauses> source_clauses

%%

input
    : START_EXPRESSION expr             { parser->result = $2.node; }
    | START_FILE definitions
    ;

/* ------------------------------------------------------------ definition files */

definitions
    : %empty
    | definitions definition
    | definitions error
    ;

definition
    : entity
    | source
    | embedding
    | feature
    | set
    ;

/* Recovery resumes at a definition keyword; once there, errors count again. */
kw_entity : "entity"                    { yyerrok; } ;
kw_source : "source"                    { yyerrok; } ;
kw_embedding : "embedding"              { yyerrok; } ;
kw_feature : "feature"                  { yyerrok; } ;
kw_set : "set"                          { yyerrok; } ;

entity
    : kw_entity NAME "{" "key" key_column "}" description
        { fdl_fields keys = fdl_fields_append(FDL, (fdl_fields){NULL, 0}, $5);
          fdl_add_entity(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "entity name"), keys,
                         SPAN(@5), false, $7); }
    | kw_entity NAME "{" "key" "(" key_columns ")" "}" description
        { fdl_add_entity(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "entity name"), $6,
                         SPAN(@6), true, $9); }
    | kw_entity NAME error              { fdl_add_broken(FDL, FDL_BROKEN_ENTITY, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "entity name"),
                                                         (fdl_names){NULL, 0}); }
    ;

key_columns
    : key_column                        { $$ = fdl_fields_append(FDL, (fdl_fields){NULL, 0}, $1); }
    | key_columns "," key_column        { $$ = fdl_fields_append(FDL, $1, $3); }
    ;

key_column
    : NAME                              { $$ = fdl_field(FDL, fdl_name(FDL, $1, SPAN(@1), "join key"),
                                                         (ast_name){NULL, SPAN(@1)}); }
    | NAME ":" NAME                     { $$ = fdl_field(FDL, fdl_name(FDL, $1, SPAN(@1), "join key"),
                                                         (ast_name){$3, SPAN(@3)}); }
    ;

source
    : kw_source NAME "at" NAME "{" source_fields "}" source_clauses
        { fdl_add_source(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "source name"),
                         fdl_name(FDL, $4, SPAN(@4), "timestamp column"), $6, SPAN(@7), $8); }
    | kw_source NAME error              { fdl_add_broken(FDL, FDL_BROKEN_SOURCE, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "source name"),
                                                         (fdl_names){NULL, 0}); }
    ;

fields
    : %empty                            { $$ = (fdl_fields){NULL, 0}; }
    | field_list
    | field_list ","
    ;

field_list
    : field                             { $$ = fdl_fields_append(FDL, (fdl_fields){NULL, 0}, $1); }
    | field_list "," field              { $$ = fdl_fields_append(FDL, $1, $3); }
    ;

field
    : NAME ":" NAME                     { $$ = fdl_field(FDL, fdl_name(FDL, $1, SPAN(@1), "field name"),
                                                         (ast_name){$3, SPAN(@3)}); }
    ;

source_fields
    : %empty                            { $$ = (fdl_fields){NULL, 0}; }
    | source_field_list
    | source_field_list ","
    ;

source_field_list
    : source_field                      { $$ = fdl_fields_append(FDL, (fdl_fields){NULL, 0}, $1); }
    | source_field_list "," source_field
                                        { $$ = fdl_fields_append(FDL, $1, $3); }
    ;

/* NAME: TYPE [on_invalid POLICY] [expect(EXPECTATION, ...)], read by the front end. */
source_field
    : NAME ":" NAME parts               { $$ = fdl_source_field(FDL, fdl_name(FDL, $1, SPAN(@1), "field name"),
                                                                (ast_name){$3, SPAN(@3)}, &$4); }
    ;

/* Clauses in any order, each at most once: "description", expect(...), sla(...), retention D. */
source_clauses
    : %empty                            { $$ = arena_alloc(parser->arena, sizeof *$$); }
    | source_clauses source_clause      { $$ = $1;
                                          fdl_source_clauses_add(FDL, $$, &$2); }
    ;

source_clause
    : STRING                            { $$ = fdl_source_clause_make(FDL, SPAN(@$), $1.node,
                                                                      (ast_name){NULL, SPAN(@1)}, false,
                                                                      (fdl_specs){NULL, 0, SPAN(@1)}); }
    | NAME                              { $$ = fdl_source_clause_make(FDL, SPAN(@$), NULL,
                                                                      (ast_name){$1, SPAN(@1)}, false,
                                                                      (fdl_specs){NULL, 0, SPAN(@1)}); }
    | NAME "(" specs ")"                { $$ = fdl_source_clause_make(FDL, SPAN(@$), NULL,
                                                                      (ast_name){$1, SPAN(@1)}, true, $3); }
    /* retention 90d: 90d scans as the integer 90 and the name d. */
    | NAME INT NAME                     { $$ = fdl_source_clause_duration(FDL, SPAN(@$), (ast_name){$1, SPAN(@1)},
                                                                          SPAN(@2), (ast_name){$3, SPAN(@3)}); }
    ;

/*
 * Specs: expectations, policies, SLA items. A head word and any parts; the
 * front end checks which parts each head takes, so that none of the words
 * (range, drop, pass_rate...) is reserved. No error recovery inside: a
 * missing ')' would make it skip whole definitions looking for one, so a
 * syntax error here resumes at the next definition, as elsewhere.
 */
specs
    : %empty                            { $$ = (fdl_specs){NULL, 0, SPAN(@$)}; }
    | spec_list                         { $$ = $1;
                                          $$.span = SPAN(@1); }
    | spec_list ","                     { $$ = $1;
                                          $$.span = SPAN(@$); }
    ;

spec_list
    : spec                              { $$ = fdl_specs_append(FDL, (fdl_specs){NULL, 0, SPAN(@1)}, $1); }
    | spec_list "," spec                { $$ = fdl_specs_append(FDL, $1, $3); }
    ;

spec
    : NAME parts                        { memset(&$$, 0, sizeof $$);
                                          $$.span = SPAN(@$);
                                          $$.head = (ast_name){$1, SPAN(@1)};
                                          $$.parts = $2; }
    | "in" parts                        { memset(&$$, 0, sizeof $$);
                                          $$.span = SPAN(@$);
                                          $$.head = (ast_name){"in", SPAN(@1)};
                                          $$.parts = $2; }
    | "expr" "(" expr ")" parts         { memset(&$$, 0, sizeof $$);
                                          $$.span = SPAN(@$);
                                          $$.head.span = SPAN(@1);
                                          $$.is_expr = true;
                                          $$.expr = whole_tree(parser, $3, @3);
                                          $$.expr_span = SPAN(@3);
                                          $$.parts = $5; }
    ;

parts
    : %empty                            { $$ = (fdl_parts){NULL, 0}; }
    | parts part                        { $$ = fdl_parts_append(FDL, $1, $2); }
    ;

part
    : NAME                              { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_PART_NAME;
                                          $$.span = SPAN(@1);
                                          $$.name = (ast_name){$1, SPAN(@1)};
                                          $$.qualifier.span = SPAN(@1); }
    | NAME "." NAME                     { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_PART_NAME;
                                          $$.span = SPAN(@$);
                                          $$.qualifier = (ast_name){$1, SPAN(@1)};
                                          $$.name = (ast_name){$3, SPAN(@3)}; }
    | literal
    | "[" list "]"                      { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_PART_LIST;
                                          $$.span = SPAN(@$);
                                          $$.items = $2; }
    | "(" specs ")"                     { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_PART_GROUP;
                                          $$.span = SPAN(@$);
                                          $$.specs = $2; }
    ;

/* A list's items: names and literals. */
list
    : %empty                            { $$ = (fdl_parts){NULL, 0}; }
    | list_parts
    | list_parts ","
    ;

list_parts
    : literal                           { $$ = fdl_parts_append(FDL, (fdl_parts){NULL, 0}, $1); }
    | NAME                              { fdl_part name;
                                          memset(&name, 0, sizeof name);
                                          name.kind = FDL_PART_NAME;
                                          name.span = SPAN(@1);
                                          name.name = (ast_name){$1, SPAN(@1)};
                                          $$ = fdl_parts_append(FDL, (fdl_parts){NULL, 0}, name); }
    | list_parts "," literal            { $$ = fdl_parts_append(FDL, $1, $3); }
    | list_parts "," NAME               { fdl_part name;
                                          memset(&name, 0, sizeof name);
                                          name.kind = FDL_PART_NAME;
                                          name.span = SPAN(@3);
                                          name.name = (ast_name){$3, SPAN(@3)};
                                          $$ = fdl_parts_append(FDL, $1, name); }
    ;

/* A literal as written, which sema reads as the type it applies to (as
 * YAML's scalars, and as a feature's default): a string's decoded bytes,
 * anything else its text. */
literal
    : INT                               { $$ = value_written(parser, @1, @1, EXPR_INT, $1.node); }
    | FLOAT                             { $$ = value_written(parser, @1, @1, EXPR_FLOAT, $1.node); }
    | "-" INT                           { $$ = value_written(parser, @1, @2, EXPR_INT, $2.node); }
    | "-" FLOAT                         { $$ = value_written(parser, @1, @2, EXPR_FLOAT, $2.node); }
    | "true"                            { $$ = value_written(parser, @1, @1, EXPR_BOOL, NULL); }
    | "false"                           { $$ = value_written(parser, @1, @1, EXPR_BOOL, NULL); }
    | "null"                            { $$ = value_written(parser, @1, @1, EXPR_NULL, NULL); }
    | STRING                            { $$ = value_written(parser, @1, @1, EXPR_STRING, $1.node); }
    ;

embedding
    : kw_embedding NAME "of" NAME "dimension" INT "from" STRING description
        { fdl_add_embedding(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "embedding name"),
                            fdl_name(FDL, $4, SPAN(@4), "entity"), $6.node, SPAN(@6), $8.node, $9); }
    | kw_embedding NAME error           { fdl_add_broken(FDL, FDL_BROKEN_EMBEDDING, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "embedding name"),
                                                         (fdl_names){NULL, 0}); }
    ;

feature
    : kw_feature NAME "of" entity_names value_type "=" body clauses
        { fdl_add_feature(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "feature name"), $4, SPAN(@4),
                          $5, $7, $8); }
    | kw_feature NAME error             { fdl_add_broken(FDL, FDL_BROKEN_FEATURE, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "feature name"),
                                                         (fdl_names){NULL, 0}); }
    | kw_feature NAME "of" entity_names error
                                        { fdl_add_broken(FDL, FDL_BROKEN_FEATURE, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "feature name"), $4); }
    ;

entity_names
    : NAME                              { $$ = fdl_names_append(FDL, (fdl_names){NULL, 0},
                                                                fdl_name(FDL, $1, SPAN(@1), "entity")); }
    | entity_names "," NAME             { $$ = fdl_names_append(FDL, $1, fdl_name(FDL, $3, SPAN(@3), "entity")); }
    ;

value_type
    : %empty                            { $$ = (ast_name){NULL, SPAN(@$)}; }
    | ":" NAME                          { $$ = (ast_name){$2, SPAN(@2)}; }
    ;

body
    : NAME "(" call_arguments ")" window hop
        { $$ = arena_alloc(parser->arena, sizeof *$$);
          $$->function = fdl_name(FDL, $1, SPAN(@1), "function");
          $$->args = $3;
          $$->args_span = SPAN(@3);
          $$->window_written = $5.text != NULL;
          $$->window = $5;
          $$->hop_written = $6.text != NULL;
          $$->hop = $6; }
    | "expr" "(" expr ")"
        { $$ = arena_alloc(parser->arena, sizeof *$$);
          $$->is_expr = true;
          $$->expr = whole_tree(parser, $3, @3);
          $$->expr_span = SPAN(@3); }
    | "expr" "(" error ")"
        { $$ = arena_alloc(parser->arena, sizeof *$$);
          $$->is_expr = true;
          $$->expr_span = SPAN(@3); }
    ;

window
    : %empty                            { $$ = (ast_name){NULL, SPAN(@$)}; }
    | "over" WINDOW                     { $$ = (ast_name){$2, SPAN(@2)}; }
    | "over" "lifetime"                 { $$ = (ast_name){"lifetime", SPAN(@2)}; }
    ;

hop
    : %empty                            { $$ = (ast_name){NULL, SPAN(@$)}; }
    | "hop" WINDOW                      { $$ = (ast_name){$2, SPAN(@2)}; }
    ;

call_arguments
    : %empty                            { $$ = (fdl_args){NULL, 0}; }
    | argument_list
    ;

argument_list
    : argument                          { $$ = fdl_args_append(FDL, (fdl_args){NULL, 0}, $1); }
    | argument_list "," argument        { $$ = fdl_args_append(FDL, $1, $3); }
    ;

argument
    : reference
    | reference "where" expr            { $$ = $1;
                                          $$.span = SPAN(@$);
                                          $$.where_written = true;
                                          $$.where = whole_tree(parser, $3, @3);
                                          $$.where_span = SPAN(@3); }
    | INT                               { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_NUMBER;
                                          $$.span = SPAN(@1);
                                          $$.number = $1.node; }
    | FLOAT                             { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_NUMBER;
                                          $$.span = SPAN(@1);
                                          $$.number = $1.node; }
    | "[" items "]"                     { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_LIST;
                                          $$.span = SPAN(@$);
                                          $$.list = $2.items;
                                          $$.nlist = $2.count; }
    | "[" "]"                           { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_LIST;
                                          $$.span = SPAN(@$); }
    ;

reference
    : NAME                              { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_REF;
                                          $$.span = $$.ref_span = SPAN(@1);
                                          $$.name = (ast_name){$1, SPAN(@1)};
                                          $$.qualifier.span = SPAN(@1); }
    | NAME "." NAME                     { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_ARG_REF;
                                          $$.span = $$.ref_span = SPAN(@$);
                                          $$.qualifier = (ast_name){$1, SPAN(@1)};
                                          $$.name = (ast_name){$3, SPAN(@3)}; }
    ;

clauses
    : %empty                            { $$ = arena_alloc(parser->arena, sizeof *$$); }
    | clauses clause                    { $$ = $1;
                                          fdl_clauses_add(FDL, $$, &$2); }
    ;

clause
    : STRING                            { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_CLAUSE_DESCRIPTION;
                                          $$.span = $$.value_span = SPAN(@1);
                                          $$.text = fdl_description(FDL, $1.node); }
    | "tags" "(" tags ")"               { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_CLAUSE_TAGS;
                                          $$.span = SPAN(@$);
                                          $$.value_span = SPAN(@3);
                                          $$.tags = $3; }
    | "online"                          { memset(&$$, 0, sizeof $$);
                                          $$.kind = FDL_CLAUSE_ONLINE;
                                          $$.span = $$.value_span = SPAN(@1); }
    | "default" default_value           { $$ = $2;
                                          $$.span = SPAN(@$); }
    ;

tags
    : tag                               { $$ = fdl_names_append(FDL, (fdl_names){NULL, 0}, $1); }
    | tags "," tag                      { $$ = fdl_names_append(FDL, $1, $3); }
    ;

/* Tags are free words: a keyword is a tag like any other name. */
tag
    : NAME                              { $$ = (ast_name){$1, SPAN(@1)}; }
    | STRING                            { $$ = fdl_tag(FDL, $1.node); }
    | keyword                           { $$ = (ast_name){arena_strndup(parser->arena, parser->text + @1.start,
                                                                        @1.end - @1.start), SPAN(@1)}; }
    ;

keyword
    : "entity" | "source" | "embedding" | "feature" | "set" | "key" | "of" | "at" | "over"
    | "where" | "tags" | "online" | "default" | "request" | "dimension" | "from" | "lifetime"
    | "expr" | "and" | "or" | "not" | "in" | "is" | "null" | "true" | "false"
    ;

/* The value as written, which sema reads as the feature's type (as YAML's
 * scalar); a string's decoded bytes, so "none" is the text none. */
default_value
    : INT                               { $$ = default_written(parser, @1, @1); }
    | FLOAT                             { $$ = default_written(parser, @1, @1); }
    | "-" INT                           { $$ = default_written(parser, @1, @2); }
    | "-" FLOAT                         { $$ = default_written(parser, @1, @2); }
    | "true"                            { $$ = default_written(parser, @1, @1); }
    | "false"                           { $$ = default_written(parser, @1, @1); }
    | STRING                            { $$ = default_written(parser, @1, @1);
                                          $$.text = $1.node->as.string.bytes;
                                          $$.length = (size_t)$1.node->as.string.len; }
    | "null"                            { $$ = default_written(parser, @1, @1);
                                          $$.text = NULL;
                                          diag_error(parser->sources, DIAG_INVALID_DEFAULT, SPAN(@1),
                                                     "default must be a value, not null"); }
    ;

set
    : kw_set NAME "{" feature_names "}" request description
        { fdl_add_set(FDL, SPAN(@$), fdl_name(FDL, $2, SPAN(@2), "feature set name"), $4, SPAN(@4),
                      @6.end > @6.start, $6, SPAN(@6), $7); }
    | kw_set NAME error                 { fdl_add_broken(FDL, FDL_BROKEN_SET, SPAN(@$),
                                                         fdl_name(FDL, $2, SPAN(@2), "feature set name"),
                                                         (fdl_names){NULL, 0}); }
    ;

feature_names
    : %empty                            { $$ = (fdl_names){NULL, 0}; }
    | feature_list
    | feature_list ","
    ;

feature_list
    : NAME                              { $$ = fdl_names_append(FDL, (fdl_names){NULL, 0},
                                                                fdl_name(FDL, $1, SPAN(@1), "feature name")); }
    | feature_list "," NAME             { $$ = fdl_names_append(FDL, $1, fdl_name(FDL, $3, SPAN(@3), "feature name")); }
    ;

request
    : %empty                            { $$ = (fdl_fields){NULL, 0}; }
    | "request" "{" fields "}"          { $$ = $3; }
    ;

description
    : %empty                            { $$ = NULL; }
    | STRING                            { $$ = fdl_description(FDL, $1.node); }
    ;

/* ------------------------------------------------------------ expressions */

expr
    : conjunction
    | expr "or" conjunction             { if (!make_binary(parser, &$$, OP_OR, $1, $3, @$, @2)) YYABORT; }
    ;

conjunction
    : negation
    | conjunction "and" negation        { if (!make_binary(parser, &$$, OP_AND, $1, $3, @$, @2)) YYABORT; }
    ;

negation
    : comparison
    | "not" negation                    { if (!make_unary(parser, &$$, OP_NOT, $2, @$, @1)) YYABORT; }
    ;

comparison
    : sum
    | sum comparison_operator sum       { if (!make_binary(parser, &$$, $2, $1, $3, @$, @2)) YYABORT; }
    | sum "in" "(" items ")"            { if (!make_in(parser, &$$, $1, $4, false, @$, @2)) YYABORT; }
    | sum "not" "in" "(" items ")"      { if (!make_in(parser, &$$, $1, $5, true, @$, @2)) YYABORT; }
    | sum "is" "null"                   { if (!make_is_null(parser, &$$, $1, false, @$, @2)) YYABORT; }
    | sum "is" "not" "null"             { if (!make_is_null(parser, &$$, $1, true, @$, @2)) YYABORT; }
    ;

comparison_operator
    : "="                               { $$ = OP_EQ; }
    | "!="                              { $$ = OP_NE; }
    | "<"                               { $$ = OP_LT; }
    | "<="                              { $$ = OP_LE; }
    | ">"                               { $$ = OP_GT; }
    | ">="                              { $$ = OP_GE; }
    ;

sum
    : product
    | sum "+" product                   { if (!make_binary(parser, &$$, OP_ADD, $1, $3, @$, @2)) YYABORT; }
    | sum "-" product                   { if (!make_binary(parser, &$$, OP_SUB, $1, $3, @$, @2)) YYABORT; }
    ;

product
    : unary
    | product "*" unary                 { if (!make_binary(parser, &$$, OP_MUL, $1, $3, @$, @2)) YYABORT; }
    | product "/" unary                 { if (!make_binary(parser, &$$, OP_DIV, $1, $3, @$, @2)) YYABORT; }
    | product "%" unary                 { if (!make_binary(parser, &$$, OP_MOD, $1, $3, @$, @2)) YYABORT; }
    ;

unary
    : primary
    | "-" unary                         { if (!make_unary(parser, &$$, OP_NEG, $2, @$, @1)) YYABORT; }
    | "+" unary                         { if (!make_unary(parser, &$$, OP_PLUS, $2, @$, @1)) YYABORT; }
    ;

primary
    : INT
    | FLOAT
    | STRING
    | "true"                            { $$ = make_leaf(parser, EXPR_BOOL, @1);
                                          $$.node->as.bool_value = true; }
    | "false"                           { $$ = make_leaf(parser, EXPR_BOOL, @1); }
    | "null"                            { $$ = make_leaf(parser, EXPR_NULL, @1); }
    | NAME                              { $$ = make_leaf(parser, EXPR_NAME, @1);
                                          $$.node->as.name.name = $1;
                                          $$.node->as.name.ref = -1; }
    | NAME "." NAME                     { $$ = make_leaf(parser, EXPR_NAME, @$);
                                          $$.node->as.name.qualifier = $1;
                                          $$.node->as.name.name = $3;
                                          $$.node->as.name.ref = -1; }
    | "request" "." NAME                { /* file mode, where `request` is a keyword */
                                          $$ = make_leaf(parser, EXPR_NAME, @$);
                                          $$.node->as.name.qualifier = "request";
                                          $$.node->as.name.name = $3;
                                          $$.node->as.name.ref = -1; }
    | NAME "(" arguments ")"            { if (!make_call(parser, &$$, $1, @1, $3, @$)) YYABORT; }
    | "(" expr ")"                      { $$ = $2; }
    | "(" error ")"                     { $$ = syntax_error_value(); }
    ;

arguments
    : %empty                            { $$.items = NULL; $$.count = 0; $$.depth = 0; }
    | items
    ;

items
    : item                              { $$ = list_start(parser, $1); }
    | items "," item                    { $$ = list_append(parser, $1, $3); }
    ;

item
    : expr
    | error                             { $$ = syntax_error_value(); }
    ;

%%

#include "expr.lex.h"

/* ------------------------------------------------------------ spans and errors */

span expr_grammar_span(const expr_parser *p, uint32_t start, uint32_t end)
{
    if (start > p->length)
        start = (uint32_t)p->length;
    if (end > p->length)
        end = (uint32_t)p->length;
    if (p->offsets)
        return span_make(p->file, p->offsets[start], p->offsets[end]);
    return span_make(p->file, (size_t)p->base + start, (size_t)p->base + end);
}

bool expr_grammar_error(expr_parser *p, uint32_t start, uint32_t end, const char *fmt, ...)
{
    p->error_seen = true;
    p->last_error_start = start;
    if (p->abandoned)
        return false;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    diag_error(p->sources, DIAG_SYNTAX, expr_grammar_span(p, start, end), "%s", message);
    if (++p->errors >= p->max_errors)
        p->abandoned = true;
    return true;
}

void expr_grammar_note_open(expr_parser *p)
{
    assert(p->open_parentheses > 0 && p->open_parentheses <= EXPR_MAX_DEPTH + 1);
    uint32_t open = p->paren_start[p->open_parentheses - 1];
    diag_note(p->sources, expr_grammar_span(p, open, open + 1), "to match this '('");
}

/* A byte as it is shown in a message: itself when printable, else \xNN. */
void expr_grammar_describe_byte(unsigned char c, char out[8])
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, 8, "%c", c);
    else
        snprintf(out, 8, "\\x%02X", c);
}

/* Bison only calls this when its stack is exhausted: the input nests so deeply
 * that the depth checks have not caught it yet (or memory ran out). */
static void yyerror(YYLTYPE *location, yyscan_t scanner, expr_parser *parser, const char *message)
{
    (void)scanner;
    (void)message;
    expr_grammar_error(parser, location->start, location->end, "expression nested too deeply");
    parser->abandoned = true;
}

/* ------------------------------------------------------------ syntax errors */

/* The written text of a token, made safe and short for a message. */
static void describe_text(const expr_parser *p, expr_location where, char *out, size_t size)
{
    enum { MAX_SHOWN = 32 };
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = where.start; i < where.end && i < p->length; i++) {
        if (i - where.start == MAX_SHOWN) {
            snprintf(out + used, size - used, "...");
            return;
        }
        char byte[8];
        expr_grammar_describe_byte((unsigned char)p->text[i], byte);
        size_t n = strlen(byte);
        if (used + n + 4 >= size)
            return;
        memcpy(out + used, byte, n + 1);
        used += n;
    }
}

static bool is_comparison_token(yysymbol_kind_t token)
{
    switch (token) {
    case YYSYMBOL_EQ: case YYSYMBOL_NE: case YYSYMBOL_LT: case YYSYMBOL_LE:
    case YYSYMBOL_GT: case YYSYMBOL_GE: case YYSYMBOL_IN: case YYSYMBOL_IS:
        return true;
    default:
        return false;
    }
}

/* Binary operators proper; "in" and "is" are named on their own when alone. */
static bool is_operator_token(yysymbol_kind_t token)
{
    switch (token) {
    case YYSYMBOL_OR: case YYSYMBOL_AND: case YYSYMBOL_PLUS: case YYSYMBOL_MINUS:
    case YYSYMBOL_STAR: case YYSYMBOL_SLASH: case YYSYMBOL_PERCENT:
    case YYSYMBOL_EQ: case YYSYMBOL_NE: case YYSYMBOL_LT: case YYSYMBOL_LE:
    case YYSYMBOL_GT: case YYSYMBOL_GE:
        return true;
    default:
        return false;
    }
}

/* A misspelt keyword where keywords may come: the closest of those wanted
 * ("ovr": over) that starts with the same letter (short keywords are close
 * to too much: "oops" is not "hop"), or NULL. */
static const char *closest_keyword(const char *text, const bool wanted[])
{
    static const struct { yysymbol_kind_t token; const char *word; } keywords[] = {
        {YYSYMBOL_OVER, "over"}, {YYSYMBOL_HOP, "hop"}, {YYSYMBOL_WHERE, "where"},
        {YYSYMBOL_TAGS, "tags"}, {YYSYMBOL_ONLINE, "online"}, {YYSYMBOL_DEFAULT, "default"},
        {YYSYMBOL_KEY, "key"}, {YYSYMBOL_OF, "of"}, {YYSYMBOL_AT, "at"},
        {YYSYMBOL_DIMENSION, "dimension"}, {YYSYMBOL_FROM, "from"}, {YYSYMBOL_REQUEST, "request"},
        {YYSYMBOL_EXPR, "expr"}, {YYSYMBOL_LIFETIME, "lifetime"}, {YYSYMBOL_ENTITY, "entity"},
        {YYSYMBOL_SOURCE, "source"}, {YYSYMBOL_EMBEDDING, "embedding"},
        {YYSYMBOL_FEATURE, "feature"}, {YYSYMBOL_SET, "set"},
    };
    enum { N = sizeof keywords / sizeof keywords[0] };
    const char *words[N];
    int n = 0;
    for (int i = 0; i < N; i++)
        if (wanted[keywords[i].token])
            words[n++] = keywords[i].word;
    const char *close = n ? suggest_closest(text, words, n) : NULL;
    return close && close[0] == text[0] ? close : NULL;
}

/*
 * In a definition file: "unexpected X, expected Y" with Y in the file's
 * terms. Where an expression may start, as in an expression; elsewhere the
 * expected tokens by name, with the five definition keywords said as
 * "a definition" and every binary operator as "an operator".
 */
static int report_file_syntax_error(expr_parser *parser, yysymbol_kind_t lookahead,
                                    const YYLTYPE *where, const bool wanted[])
{
    char message[400], text[160];
    describe_text(parser, *where, text, sizeof text);
    int used;
    switch (lookahead) {
    case YYSYMBOL_YYEOF:
        used = snprintf(message, sizeof message, "unexpected end of file");
        break;
    case YYSYMBOL_NAME: {
        const char *keyword = closest_keyword(text, wanted);
        if (keyword) {
            expr_grammar_error(parser, where->start, where->end,
                               "unexpected name '%s'; did you mean '%s'?", text, keyword);
            return 0;
        }
        used = snprintf(message, sizeof message, "unexpected name '%s'", text);
        break;
    }
    case YYSYMBOL_INT:
    case YYSYMBOL_FLOAT:
        used = snprintf(message, sizeof message, "unexpected number '%s'", text);
        break;
    case YYSYMBOL_STRING:
        used = snprintf(message, sizeof message, "unexpected string %s", text);
        break;
    case YYSYMBOL_WINDOW:
        used = snprintf(message, sizeof message, "unexpected window '%s'", text);
        break;
    default:
        used = snprintf(message, sizeof message, "unexpected '%s'", text);
        break;
    }
    if (wanted[YYSYMBOL_INT] && wanted[YYSYMBOL_LPAREN] && wanted[YYSYMBOL_PLUS]) {   /* an operand */
        snprintf(message + used, sizeof message - (size_t)used, ", expected an expression");
        expr_grammar_error(parser, where->start, where->end, "%s", message);
        return 0;
    }
    const char *parts[16];
    int nparts = 0;
    bool operators = wanted[YYSYMBOL_STAR];
    if (operators)
        parts[nparts++] = "an operator";
    bool value = wanted[YYSYMBOL_TRUE];   /* after `default` (an operand was said above) */
    if (value)
        parts[nparts++] = "a value";
    static const struct { yysymbol_kind_t token; const char *words; } spelled[] = {
        {YYSYMBOL_NAME, "a name"}, {YYSYMBOL_EXPR, "'expr'"}, {YYSYMBOL_INT, "a number"},
        {YYSYMBOL_STRING, "a string"}, {YYSYMBOL_WINDOW, "a window (30d, 12h, lifetime...)"},
        {YYSYMBOL_COLON, "':'"}, {YYSYMBOL_EQ, "'='"}, {YYSYMBOL_LBRACE, "'{'"}, {YYSYMBOL_LBRACKET, "'['"},
        {YYSYMBOL_KEY, "'key'"}, {YYSYMBOL_OF, "'of'"}, {YYSYMBOL_AT, "'at'"},
        {YYSYMBOL_DIMENSION, "'dimension'"}, {YYSYMBOL_FROM, "'from'"},
        {YYSYMBOL_WHERE, "'where'"}, {YYSYMBOL_OVER, "'over'"}, {YYSYMBOL_TAGS, "'tags'"},
        {YYSYMBOL_ONLINE, "'online'"}, {YYSYMBOL_DEFAULT, "'default'"},
        {YYSYMBOL_REQUEST, "'request'"}, {YYSYMBOL_LPAREN, "'('"}, {YYSYMBOL_DOT, "'.'"},
        {YYSYMBOL_COMMA, "','"}, {YYSYMBOL_RPAREN, "')'"}, {YYSYMBOL_RBRACKET, "']'"},
        {YYSYMBOL_RBRACE, "'}'"},
        {YYSYMBOL_FEATURE, "a definition"}, {YYSYMBOL_YYEOF, "end of file"},
    };
    for (size_t i = 0; i < sizeof spelled / sizeof spelled[0]; i++) {
        yysymbol_kind_t t = spelled[i].token;
        if (operators && (t == YYSYMBOL_LPAREN || t == YYSYMBOL_DOT || t == YYSYMBOL_EQ))
            continue;   /* a call, a qualified name, a comparison: all "an operator" here */
        if (value && (t == YYSYMBOL_INT || t == YYSYMBOL_STRING))
            continue;
        if (wanted[t] && nparts < 16)
            parts[nparts++] = spelled[i].words;
    }
    for (int i = 0; i < nparts; i++) {
        const char *joint = i == 0 ? ", expected " : i == nparts - 1 ? " or " : ", ";
        int n = snprintf(message + used, sizeof message - (size_t)used, "%s%s", joint, parts[i]);
        if (n < 0 || (size_t)(used + n) >= sizeof message)
            break;
        used += n;
    }
    expr_grammar_error(parser, where->start, where->end, "%s", message);
    return 0;
}

/*
 * "unexpected X, expected Y", where Y is said in the language's terms:
 * "an expression" for anything that starts one, "an operator" for the
 * binary operators, and the few remaining tokens by their spelling.
 */
static int describe_syntax_error(const yypcontext_t *context, expr_parser *parser)
{
    if (parser->abandoned)
        return 0;
    const YYLTYPE *where = yypcontext_location(context);
    if (parser->token_flagged && where->start == parser->flagged_start)
        return 0;   /* the scanner already reported this token */
    yysymbol_kind_t lookahead = yypcontext_token(context);
    yysymbol_kind_t expected[YYNTOKENS];
    int count = yypcontext_expected_tokens(context, expected, YYNTOKENS);
    if (count < 0)
        return count;   /* out of memory while looking ahead */
    bool wanted[YYNTOKENS] = {false};
    for (int i = 0; i < count; i++)
        if (expected[i] >= 0 && expected[i] < YYNTOKENS)
            wanted[expected[i]] = true;
    if (parser->fdl)
        return report_file_syntax_error(parser, lookahead, where, wanted);

    char message[256], text[160];
    describe_text(parser, *where, text, sizeof text);
    int used;
    switch (lookahead) {
    case YYSYMBOL_YYEOF:
        used = snprintf(message, sizeof message, "unexpected end of expression");
        break;
    case YYSYMBOL_NAME:
        used = snprintf(message, sizeof message, "unexpected name '%s'", text);
        break;
    case YYSYMBOL_INT:
    case YYSYMBOL_FLOAT:
        used = snprintf(message, sizeof message, "unexpected number '%s'", text);
        break;
    case YYSYMBOL_STRING:
        used = snprintf(message, sizeof message, "unexpected string %s", text);
        break;
    default:
        used = snprintf(message, sizeof message, "unexpected '%s'", text);
        break;
    }

    bool operators = false, comparisons = false;
    for (int t = 0; t < YYNTOKENS; t++) {
        if (wanted[t] && is_operator_token((yysymbol_kind_t)t))
            operators = true;
        if (wanted[t] && is_operator_token((yysymbol_kind_t)t) && is_comparison_token((yysymbol_kind_t)t))
            comparisons = true;
    }
    if (wanted[YYSYMBOL_INT]) {
        /* Where an operand is wanted, say so; "not" binds looser than comparisons. */
        if (lookahead == YYSYMBOL_NOT)
            snprintf(message + used, sizeof message - (size_t)used,
                     ", expected an expression (write 'not ...' inside parentheses here)");
        else if (lookahead != YYSYMBOL_YYEOF)
            snprintf(message + used, sizeof message - (size_t)used, ", expected an expression");
        expr_grammar_error(parser, where->start, where->end, "%s", message);
        return 0;
    }
    if (operators && !comparisons && is_comparison_token(lookahead)) {
        snprintf(message + used, sizeof message - (size_t)used,
                 ": comparisons cannot be chained (use 'and' or parentheses)");
        expr_grammar_error(parser, where->start, where->end, "%s", message);
        return 0;
    }

    /* The alternatives, in the order a reader would list them. */
    const char *parts[8];
    int nparts = 0;
    if (operators)
        parts[nparts++] = "an operator";
    static const struct { yysymbol_kind_t token; const char *words; } spelled[] = {
        {YYSYMBOL_NOT, "'not'"}, {YYSYMBOL_NULL, "'null'"}, {YYSYMBOL_IN, "'in'"},
        {YYSYMBOL_NAME, "a name"}, {YYSYMBOL_LPAREN, "'('"}, {YYSYMBOL_COMMA, "','"},
        {YYSYMBOL_RPAREN, "')'"}, {YYSYMBOL_YYEOF, "end of expression"},
    };
    for (size_t i = 0; i < sizeof spelled / sizeof spelled[0]; i++) {
        yysymbol_kind_t t = spelled[i].token;
        /* After an operand, "[not] in", "is" and a call's "(" count as operators. */
        if (operators && (t == YYSYMBOL_NOT || t == YYSYMBOL_IN || t == YYSYMBOL_LPAREN))
            continue;
        if (wanted[t] && nparts < 8)
            parts[nparts++] = spelled[i].words;
    }
    for (int i = 0; i < nparts; i++) {
        const char *joint = i == 0 ? ", expected " : i == nparts - 1 ? " or " : ", ";
        int n = snprintf(message + used, sizeof message - (size_t)used, "%s%s", joint, parts[i]);
        if (n < 0 || (size_t)(used + n) >= sizeof message)
            break;
        used += n;
    }
    expr_grammar_error(parser, where->start, where->end, "%s", message);
    return 0;
}

/* The error as describe_syntax_error says it, and where ')' would do and a
 * "(" is open, a note at that "(". UNCLOSED is the scanner's, which has
 * said it (or knows this definition already has its error). */
static int yyreport_syntax_error(const yypcontext_t *context, yyscan_t scanner, expr_parser *parser)
{
    (void)scanner;
    if (yypcontext_token(context) == YYSYMBOL_UNCLOSED)
        return 0;
    int before = parser->errors;
    int status = describe_syntax_error(context, parser);
    yysymbol_kind_t expected[YYNTOKENS];
    int count = status == 0 && parser->errors > before && parser->open_parentheses > 0
                    ? yypcontext_expected_tokens(context, expected, YYNTOKENS) : 0;
    for (int i = 0; i < count; i++)
        if (expected[i] == YYSYMBOL_RPAREN) {
            expr_grammar_note_open(parser);
            break;
        }
    return status;
}

/* ------------------------------------------------------------ building nodes */

static bool check_depth(expr_parser *p, int depth, expr_location where)
{
    if (depth <= EXPR_MAX_DEPTH)
        return true;
    expr_grammar_error(p, where.start, where.end, "expression nested too deeply");
    p->abandoned = true;
    return false;
}

static int deeper(int a, int b) { return a > b ? a : b; }

static expr_value syntax_error_value(void)
{
    expr_value v = {NULL, 0};
    return v;
}

static expr_value make_leaf(expr_parser *p, expr_kind kind, expr_location where)
{
    expr_value v = {expr_new(p->arena, kind, expr_grammar_span(p, where.start, where.end)), 0};
    return v;
}

static bool make_unary(expr_parser *p, expr_value *out, expr_op op, expr_value operand,
                       expr_location whole, expr_location op_location)
{
    out->depth = operand.depth + 1;
    out->node = NULL;
    if (!check_depth(p, out->depth, op_location))
        return false;
    out->node = expr_new(p->arena, EXPR_UNARY, expr_grammar_span(p, whole.start, whole.end));
    out->node->as.unary.op = op;
    out->node->as.unary.operand = operand.node;
    return true;
}

static bool make_binary(expr_parser *p, expr_value *out, expr_op op, expr_value left,
                        expr_value right, expr_location whole, expr_location op_location)
{
    out->depth = deeper(left.depth, right.depth) + 1;
    out->node = NULL;
    if (!check_depth(p, out->depth, op_location))
        return false;
    out->node = expr_new(p->arena, EXPR_BINARY, expr_grammar_span(p, whole.start, whole.end));
    out->node->as.binary.op = op;
    out->node->as.binary.left = left.node;
    out->node->as.binary.right = right.node;
    return true;
}

static bool make_in(expr_parser *p, expr_value *out, expr_value operand, expr_items list,
                    bool negated, expr_location whole, expr_location op_location)
{
    out->depth = deeper(operand.depth, list.depth) + 1;
    out->node = NULL;
    if (!check_depth(p, out->depth, op_location))
        return false;
    out->node = expr_new(p->arena, EXPR_IN, expr_grammar_span(p, whole.start, whole.end));
    out->node->as.in.operand = operand.node;
    out->node->as.in.list.items = list.items;
    out->node->as.in.list.count = list.count;
    out->node->as.in.negated = negated;
    return true;
}

static bool make_is_null(expr_parser *p, expr_value *out, expr_value operand, bool negated,
                         expr_location whole, expr_location op_location)
{
    out->depth = operand.depth + 1;
    out->node = NULL;
    if (!check_depth(p, out->depth, op_location))
        return false;
    out->node = expr_new(p->arena, EXPR_IS_NULL, expr_grammar_span(p, whole.start, whole.end));
    out->node->as.is_null.operand = operand.node;
    out->node->as.is_null.negated = negated;
    return true;
}

static bool make_call(expr_parser *p, expr_value *out, const char *name, expr_location name_location,
                      expr_items args, expr_location whole)
{
    out->depth = args.depth + 1;
    out->node = NULL;
    if (!check_depth(p, out->depth, name_location))
        return false;
    out->node = expr_new(p->arena, EXPR_CALL, expr_grammar_span(p, whole.start, whole.end));
    out->node->as.call.name = name;
    out->node->as.call.name_span = expr_grammar_span(p, name_location.start, name_location.end);
    out->node->as.call.args.items = args.items;
    out->node->as.call.args.count = args.count;
    out->node->as.call.function = -1;
    return true;
}

static expr_items list_start(expr_parser *p, expr_value item)
{
    expr_items list = {arena_alloc(p->arena, sizeof(expr *)), 1, item.depth};
    list.items[0] = item.node;
    return list;
}

/* The capacity is the count rounded up to a power of two, so appending
 * stays linear without storing it. */
static expr_items list_append(expr_parser *p, expr_items list, expr_value item)
{
    if ((list.count & (list.count - 1)) == 0)
        list.items = arena_grow(p->arena, list.items, sizeof(expr *) * (size_t)list.count,
                                sizeof(expr *) * (size_t)list.count * 2);
    list.items[list.count++] = item.node;
    list.depth = deeper(list.depth, item.depth);
    return list;
}

/*
 * An expression of a file, or NULL if an error was found inside it: error
 * recovery leaves NULL subtrees (and a lexical error a made-up literal), and
 * sema must see only whole trees, as expr_parse() returns only those. Errors
 * are found in text order, so the latest one tells.
 */
static expr *whole_tree(const expr_parser *p, expr_value value, expr_location where)
{
    if (p->error_seen && p->last_error_start >= where.start)
        return NULL;
    return value.node;
}

/* A default clause whose value is the file's text from first to last
 * (`-` and its number may be apart: the text is then "-" and the number). */
static fdl_clause default_written(expr_parser *p, expr_location first, expr_location last)
{
    fdl_clause c;
    memset(&c, 0, sizeof c);
    c.kind = FDL_CLAUSE_DEFAULT;
    c.value_span = expr_grammar_span(p, first.start, last.end);
    if (first.start == last.start) {
        c.length = first.end - first.start;
        c.text = arena_strndup(p->arena, p->text + first.start, c.length);
    } else {
        c.text = arena_printf(p->arena, "-%.*s", (int)(last.end - last.start), p->text + last.start);
        c.length = strlen(c.text);
    }
    return c;
}

/* A literal of a spec, from first to last (a '-' and its number may be
 * apart: the text is then "-" and the number, as a default's). */
static fdl_part value_written(expr_parser *p, expr_location first, expr_location last,
                              expr_kind literal, const expr *node)
{
    span whole = expr_grammar_span(p, first.start, last.end);
    if (literal == EXPR_STRING)
        return fdl_value_part(p->fdl, whole, node->as.string.bytes, (size_t)node->as.string.len,
                              literal, NULL, false);
    fdl_clause written = default_written(p, first, last);
    return fdl_value_part(p->fdl, whole, written.text, written.length, literal, node,
                          first.start != last.start);
}

/* ------------------------------------------------------------ entry point */

/* Offsets are uint32 and flex measures buffers in int. */
enum { EXPR_MAX_LENGTH = 1 << 30 };

/* Sets up a parser and its scanner over text; false after reporting why not.
 * Shared by expr_parse and expr_tokenize so that both scan alike. */
static bool parser_begin(expr_parser *parser, yyscan_t *scanner, source_set *sources, arena *a,
                         int file, uint32_t base, const uint32_t *offsets, const char *text,
                         size_t len)
{
    memset(parser, 0, sizeof *parser);
    parser->sources = sources;
    parser->arena = a;
    parser->file = file;
    parser->base = base;
    parser->offsets = offsets;
    parser->text = text ? text : "";
    parser->length = text ? len : 0;
    parser->previous_token = TOK_YYEOF;
    parser->start_token = TOK_START_EXPRESSION;
    parser->max_errors = EXPR_MAX_ERRORS;

    if (parser->length > EXPR_MAX_LENGTH ||
        (!offsets && parser->length > (size_t)UINT32_MAX - base)) {
        diag_error(sources, DIAG_INPUT_TOO_LARGE, span_make(file, base, base), "expression is too long (%zu bytes)",
                   parser->length);
        return false;
    }
    if (yylex_init_extra(parser, scanner) != 0) {
        diag_error(sources, DIAG_SYNTAX, expr_grammar_span(parser, 0, 0), "out of memory parsing an expression");
        return false;
    }
    yy_scan_bytes(parser->text, (int)parser->length, *scanner);
    return true;
}

static void parser_end(expr_parser *parser, yyscan_t scanner)
{
    yylex_destroy(scanner);
    free(parser->string_bytes);
}

expr *expr_parse(source_set *sources, arena *a, int file, uint32_t base,
                 const uint32_t *offsets, const char *text, size_t len)
{
    expr_parser parser;
    yyscan_t scanner;
    if (!parser_begin(&parser, &scanner, sources, a, file, base, offsets, text, len))
        return NULL;
    int status = yyparse(scanner, &parser);
    parser_end(&parser, scanner);

    if (status == 0 && parser.errors == 0)
        return parser.result;
    if (parser.errors == 0)   /* never fail silently */
        diag_error(sources, DIAG_SYNTAX, expr_grammar_span(&parser, 0, (uint32_t)parser.length),
                   "invalid expression");
    return NULL;
}

bool expr_parse_definitions(source_set *sources, arena *a, int file, const char *text,
                            size_t len, fdl_context *definitions)
{
    expr_parser parser;
    yyscan_t scanner;
    if (!parser_begin(&parser, &scanner, sources, a, file, 0, NULL, text, len))
        return false;
    parser.fdl = definitions;
    parser.start_token = TOK_START_FILE;
    parser.max_errors = FDL_MAX_SYNTAX_ERRORS;
    int status = yyparse(scanner, &parser);
    parser_end(&parser, scanner);
    if (status != 0 && parser.errors == 0)   /* never fail silently */
        diag_error(sources, DIAG_SYNTAX, expr_grammar_span(&parser, 0, 0), "invalid definition file");
    return status == 0 && parser.errors == 0;
}

/* ------------------------------------------------------------ test door */

/* Calls the same yylex the parser calls, so nesting limits and error
 * reports are those of a real parse; only the grammar is left out. */
int expr_tokenize(source_set *sources, arena *a, int file, uint32_t base,
                  const uint32_t *offsets, const char *text, size_t len, expr_token **tokens)
{
    *tokens = NULL;
    expr_parser parser;
    yyscan_t scanner;
    if (!parser_begin(&parser, &scanner, sources, a, file, base, offsets, text, len))
        return -1;
    parser.start_sent = true;   /* tokens of the text only */
    int count = 0, capacity = 0;
    for (;;) {
        YYSTYPE value;
        YYLTYPE where;
        memset(&value, 0, sizeof value);
        int token = yylex(&value, &where, scanner);
        if (token == TOK_YYEOF)
            break;
        if (count == capacity) {
            int grown = capacity ? capacity * 2 : 16;
            *tokens = arena_grow(a, *tokens, sizeof **tokens * (size_t)capacity,
                                 sizeof **tokens * (size_t)grown);
            capacity = grown;
        }
        expr_token *t = &(*tokens)[count++];
        t->kind = yysymbol_name(YYTRANSLATE(token));
        t->start = where.start;
        t->end = where.end;
        t->span = expr_grammar_span(&parser, where.start, where.end);
        if (token == TOK_INT || token == TOK_FLOAT || token == TOK_STRING)
            t->literal = value.value.node;
        else if (token == TOK_NAME)
            t->name = value.name;
    }
    parser_end(&parser, scanner);
    return count;
}
