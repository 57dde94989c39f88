// The chevrotain CST parser for one statement (the driver splits a file into statements).
import {
  type CstNode,
  CstParser,
  EOF,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import {
  ALL_TOKENS,
  Colon,
  Comma,
  DotDot,
  EQ,
  GE,
  GT,
  KW,
  keywordToken,
  LBrace,
  LBracket,
  LE,
  LParen,
  LT,
  NE,
  NumberLit,
  RBrace,
  RBracket,
  Regex,
  RParen,
  STATEMENT_KEYWORDS,
  Star,
  StringLit,
  Word,
} from './lexer.ts';
import { didYouMean } from './suggest.ts';
import { defsOf, type StatementDef } from './table/index.ts';

/** Separates a message from its help line inside chevrotain's single error string. */
export const HELP_SEP = '\u0000help:';

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

function shown(t: IToken | undefined): string {
  if (!t || t.tokenType === EOF) return 'the end of the statement';
  return `'${t.image.length > 40 ? `${t.image.slice(0, 40)}…` : t.image}'`;
}

function keywordsIn(types: TokenType[]): string[] {
  return types.map((t) => (t.name.startsWith('Kw_') ? t.name.slice(3) : '')).filter(Boolean);
}

function withHelp(message: string, actual: IToken | undefined, expected: TokenType[]): string {
  if (actual && actual.tokenType === Word) {
    const help = didYouMean(actual.image, keywordsIn(expected));
    if (help) return `${message}${HELP_SEP}${help}`;
  }
  return message;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    let msg = `expected ${label(expected)} but found ${shown(actual)}`;
    if (expected === RBrace && actual?.tokenType === EOF) msg = "missing '}' to close this block";
    return withHelp(msg, actual, [expected]);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${shown(firstRedundant)} after the end of the statement`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual }) {
    const firsts = [...new Set(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0]!)))];
    const names = [...new Set(firsts.map(label))];
    const list = names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')}, …`;
    return withHelp(`expected one of ${list} but found ${shown(actual[0])}`, actual[0], firsts);
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const firsts = [...new Set(expectedIterationPaths.map((p) => p[0]!))];
    return withHelp(
      `expected ${[...new Set(firsts.map(label))].join(', ')} but found ${shown(actual[0])}`,
      actual[0],
      firsts,
    );
  },
};

export class RecipeParser extends CstParser {
  /**
   * Grammar validation (ambiguities, left recursion) costs startup time on every run, so it is
   * skipped at run time; a spec constructs the parser with `validate` to prove the grammar.
   */
  constructor(validate = false) {
    super(ALL_TOKENS, {
      recoveryEnabled: true,
      errorMessageProvider: messages,
      maxLookahead: 3,
      skipValidations: !validate,
    });
    const rules = STATEMENT_KEYWORDS.map((k) => this.RULE(`${k}Stmt`, () => this.statementOf(k)));
    this.statement = this.RULE('statement', () => {
      this.OR(rules.map((r) => ({ ALT: () => this.SUBRULE(r) })));
    });
    this.performSelfAnalysis();
  }

  statement: () => CstNode;

  /** One keyword's statement: its variant word (if it has forms), then the parts its shape lists. */
  private statementOf(keyword: string): void {
    this.CONSUME(keywordToken(keyword));
    const defs = defsOf(keyword);
    if (defs.length === 1 && !defs[0]!.variant) {
      this.parts(defs[0]!, 0);
      return;
    }
    if (defs.length === 1) {
      this.consume(1, keywordToken(defs[0]!.variant!));
      this.parts(defs[0]!, 0);
      return;
    }
    this.OR(
      defs.map((d, i) => ({
        ALT: () => {
          this.consume(1 + i, keywordToken(d.variant!));
          this.parts(d, 16 * (i + 1));
        },
      })),
    );
  }

  /** The parts of a statement's shape; occurrence indexes are fixed per form (`base`). */
  private parts(def: StatementDef, base: number): void {
    const s = def.shape;
    const i = base;
    switch (s.argument) {
      case 'string':
        this.consume(i + 2, StringLit);
        break;
      case 'word':
        this.consume(i + 2, Word);
        break;
      case 'inputs':
        this.consume(i + 2, LBrace);
        this.many(i + 1, () => this.subrule(i + 1, this.inputDecl));
        this.consume(i + 2, RBrace);
        break;
      case 'target':
        this.consume(i + 2, Word);
        this.subrule(i + 1, this.cmpOp);
        this.subrule(i + 1, this.value);
    }
    if (s.granularity) this.subrule(i + 1, this.granularity);
    const selectors = () => {
      this.consume(i + 2, KW.of);
      this.subrule(i + 1, this.selectorList);
    };
    if (s.selectors === 'of') selectors();
    else if (s.selectors === 'of?') this.option(i + 1, selectors);
    else if (s.selectors === 'bare') this.subrule(i + 1, this.selectorList);
    if (s.where) this.option(i + 2, () => this.subrule(i + 1, this.whereClause));
    if (s.block === 'required') this.subrule(i + 1, this.block);
    else if (s.block === 'optional') this.option(i + 3, () => this.subrule(i + 1, this.block));
  }

  inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(KW.input);
    this.OR([{ ALT: () => this.CONSUME(Word) }, { ALT: () => this.CONSUME(StringLit) }]);
    this.CONSUME(Colon);
    this.CONSUME2(Word, { LABEL: 'dtype' });
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.dim);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.dim);
      });
    });
    this.CONSUME(RBracket);
  });

  dim = this.RULE('dim', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(Word) },
      { ALT: () => this.CONSUME(StringLit) },
    ]);
  });

  granularity = this.RULE('granularity', () => {
    this.OR([
      { ALT: () => this.CONSUME(keywordToken('weights')) },
      {
        ALT: () => {
          this.CONSUME(Word);
          this.OPTION(() => this.CONSUME(NumberLit));
        },
      },
      { ALT: () => this.CONSUME2(NumberLit) },
    ]);
  });

  selectorList = this.RULE('selectorList', () => {
    this.SUBRULE(this.selector);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.selector);
    });
  });

  selector = this.RULE('selector', () => {
    this.OR([
      { ALT: () => this.CONSUME(Star) },
      {
        ALT: () => {
          this.CONSUME(Word);
          this.OPTION(() => {
            this.CONSUME(LBracket);
            this.CONSUME(NumberLit);
            this.OPTION2(() => {
              this.CONSUME(DotDot);
              this.CONSUME2(NumberLit);
            });
            this.CONSUME(RBracket);
          });
        },
      },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME(Regex) },
    ]);
  });

  whereClause = this.RULE('whereClause', () => {
    this.CONSUME(KW.where);
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(KW.or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(KW.and);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(KW.not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.orExpr);
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE('comparison', () => {
    this.CONSUME(Word);
    this.OPTION(() => {
      this.SUBRULE(this.cmpOp);
      this.SUBRULE(this.value);
    });
  });

  cmpOp = this.RULE('cmpOp', () => {
    this.OR([
      { ALT: () => this.CONSUME(LE) },
      { ALT: () => this.CONSUME(GE) },
      { ALT: () => this.CONSUME(EQ) },
      { ALT: () => this.CONSUME(NE) },
      { ALT: () => this.CONSUME(LT) },
      { ALT: () => this.CONSUME(GT) },
    ]);
  });

  /** `{ item… }`: values, and nested blocks (`augment { … }`). */
  block: () => CstNode = this.RULE('block', () => {
    this.CONSUME(LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.value) }, { ALT: () => this.SUBRULE(this.block) }]);
    });
    this.CONSUME(RBrace);
  });

  /** atom [.. atom] | [ value, … ] */
  value = this.RULE('value', () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.atom);
          this.OPTION(() => {
            this.CONSUME(DotDot);
            this.SUBRULE2(this.atom);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME(Word) },
    ]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.value);
      });
    });
    this.CONSUME(RBracket);
  });
}

/** One parser instance, reused (chevrotain parsers are stateful but resettable via `input`). */
export const parser = new RecipeParser();
