import { PostgresQueryCompiler, type KyselyPlugin } from 'kysely';

/**
 * Records the SQL text (parameters apart) of every statement the app sends during a piece of
 * work: build the app with `database.db.withPlugin(recorder.plugin)`.
 */
export class StatementRecorder {
  readonly plugin: KyselyPlugin;
  #statements: string[] = [];
  #recording = false;

  constructor() {
    const compiler = new PostgresQueryCompiler();
    this.plugin = {
      transformQuery: ({ node, queryId }) => {
        if (this.#recording) this.#statements.push(compiler.compileQuery(node, queryId).sql);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
  }

  async during(work: () => Promise<unknown>): Promise<string[]> {
    this.#statements = [];
    this.#recording = true;
    try {
      await work();
    } finally {
      this.#recording = false;
    }
    return [...this.#statements];
  }
}
