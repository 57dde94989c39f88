// dsl/: the recipe language (lexer, parser, AST with spans, checks, diagnostics, formatter).
export {};
