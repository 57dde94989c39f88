// The chevrotain CST parser for one statement (the driver splits a file into statements).
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import {
  ALL_TOKENS,
  Colon,
  Comma,
  DotDot,
  EQ,
  GE,
  GT,
  KW,
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
  Star,
  StringLit,
  Word,
} from './lexer.ts';
import { didYouMean } from './suggest.ts';

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
    this.performSelfAnalysis();
  }

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.recipeStmt) },
      { ALT: () => this.SUBRULE(this.includeStmt) },
      { ALT: () => this.SUBRULE(this.modelStmt) },
      { ALT: () => this.SUBRULE(this.calibrateStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.pruneStmt) },
      { ALT: () => this.SUBRULE(this.factorizeStmt) },
      { ALT: () => this.SUBRULE(this.quantizeStmt) },
      { ALT: () => this.SUBRULE(this.clusterStmt) },
      { ALT: () => this.SUBRULE(this.keepStmt) },
      { ALT: () => this.SUBRULE(this.cleanupStmt) },
      { ALT: () => this.SUBRULE(this.targetStmt) },
    ]);
  });

  recipeStmt = this.RULE('recipeStmt', () => {
    this.CONSUME(KW.recipe);
    this.CONSUME(StringLit);
  });

  includeStmt = this.RULE('includeStmt', () => {
    this.CONSUME(KW.include);
    this.CONSUME(StringLit);
  });

  modelStmt = this.RULE('modelStmt', () => {
    this.CONSUME(KW.model);
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.inputDecl));
    this.CONSUME(RBrace);
  });

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

  calibrateStmt = this.RULE('calibrateStmt', () => {
    this.CONSUME(KW.calibrate);
    this.SUBRULE(this.block);
  });

  outputStmt = this.RULE('outputStmt', () => {
    this.CONSUME(KW.output);
    this.SUBRULE(this.block);
  });

  pruneStmt = this.RULE('pruneStmt', () => {
    this.CONSUME(KW.prune);
    this.SUBRULE(this.granularity);
    this.CONSUME(KW.of);
    this.SUBRULE(this.tail);
  });

  granularity = this.RULE('granularity', () => {
    this.OR([
      { ALT: () => this.CONSUME(KW.weights) },
      {
        ALT: () => {
          this.CONSUME(Word);
          this.OPTION(() => this.CONSUME(NumberLit));
        },
      },
      { ALT: () => this.CONSUME2(NumberLit) },
    ]);
  });

  /** SELECTORS [where PRED] [{ options }] */
  tail = this.RULE('tail', () => {
    this.SUBRULE(this.selectorList);
    this.OPTION(() => this.SUBRULE(this.whereClause));
    this.OPTION2(() => this.SUBRULE(this.block));
  });

  factorizeStmt = this.RULE('factorizeStmt', () => {
    this.CONSUME(KW.factorize);
    this.SUBRULE(this.tail);
  });

  quantizeStmt = this.RULE('quantizeStmt', () => {
    this.CONSUME(KW.quantize);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(KW.weights);
          this.CONSUME(KW.of);
          this.SUBRULE(this.tail);
        },
      },
      {
        ALT: () => {
          this.CONSUME(KW.activations);
          this.OPTION(() => {
            this.CONSUME2(KW.of);
            this.SUBRULE(this.selectorList);
          });
          this.OPTION2(() => this.SUBRULE(this.whereClause));
          this.OPTION3(() => this.SUBRULE(this.block));
        },
      },
    ]);
  });

  clusterStmt = this.RULE('clusterStmt', () => {
    this.CONSUME(KW.cluster);
    this.CONSUME(KW.weights);
    this.CONSUME(KW.of);
    this.SUBRULE(this.tail);
  });

  keepStmt = this.RULE('keepStmt', () => {
    this.CONSUME(KW.keep);
    this.SUBRULE(this.selectorList);
    this.OPTION(() => this.SUBRULE(this.whereClause));
  });

  cleanupStmt = this.RULE('cleanupStmt', () => {
    this.CONSUME(KW.cleanup);
    this.CONSUME(Word);
  });

  targetStmt = this.RULE('targetStmt', () => {
    this.CONSUME(KW.target);
    this.CONSUME(Word);
    this.SUBRULE(this.cmpOp);
    this.SUBRULE(this.value);
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

  block = this.RULE('block', () => {
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.value));
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
