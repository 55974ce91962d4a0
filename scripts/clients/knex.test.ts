/**
 * Knex over HeliosDB-Lite through a client class that extends Knex's own
 * better-sqlite3 client (the README shows it): schema builder, migrations,
 * the table rebuilds Knex does for SQLite (alter column, drop column,
 * rename column, add a foreign key), query builder, transactions, on an
 * encrypted database. Every check also holds on better-sqlite3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import Database from '../../index.ts';
import { connect, ORACLE, rejection, shown, type Connection } from './fixture.ts';

const load = createRequire(import.meta.url);
const knexFactory = load('knex') as (config: Knex.Config) => Knex;
const ClientBetterSqlite3 = load('knex/lib/dialects/better-sqlite3') as new (config: Knex.Config) => object;

const KEY = { raw: new Uint8Array(32).fill(0x6b) };

/** Knex's better-sqlite3 client, opening HeliosDB-Lite databases with a key. */
class HeliosKnexClient extends (ClientBetterSqlite3 as unknown as new (config: Knex.Config) => Record<string, unknown>) {
  _driver(): unknown {
    return Database;
  }
  async acquireRawConnection(): Promise<Connection> {
    const settings = this.connectionSettings as { filename: string; key: { raw: Uint8Array } };
    return connect(settings.filename, settings.key);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'helios-knex-'));
const file = join(dir, 'knex.db');
let knex: Knex;

test.before(() => {
  knex = knexFactory({ client: HeliosKnexClient as never, connection: { filename: file, key: KEY } as never, useNullAsDefault: true });
});

test.after(async () => {
  await knex.destroy().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('migrations from a migration source run once, in order, and roll back', shown(async () => {
  const migrations: Record<string, { up(k: Knex): Promise<void>; down(k: Knex): Promise<void> }> = {
    '001_accounts': {
      async up(k) {
        await k.schema.createTable('accounts', (t) => {
          t.increments('id');
          t.string('owner', 100).notNullable();
          t.decimal('balance', 12, 2).notNullable().defaultTo(0);
          t.timestamps(true, true);
        });
      },
      async down(k) { await k.schema.dropTable('accounts'); },
    },
    '002_ledger': {
      async up(k) {
        await k.schema.createTable('ledger', (t) => {
          t.increments('id');
          t.integer('account_id').unsigned().notNullable().references('id').inTable('accounts').onDelete('CASCADE');
          t.integer('amount_cents').notNullable();
          t.string('memo');
          t.index(['account_id']);
        });
      },
      async down(k) { await k.schema.dropTable('ledger'); },
    },
  };
  const migrationSource = {
    getMigrations: async () => Object.keys(migrations),
    getMigrationName: (name: string) => name,
    getMigration: async (name: string) => migrations[name]!,
  };
  const [, applied] = await knex.migrate.latest({ migrationSource });
  assert.equal(applied, ['001_accounts', '002_ledger']);
  const [, again] = await knex.migrate.latest({ migrationSource });
  assert.equal(again, []);
  const [, rolled] = await knex.migrate.rollback({ migrationSource });
  assert.equal([...rolled].sort(), ['001_accounts', '002_ledger']);
  assert.equal(await knex.schema.hasTable('accounts'), false);
  await knex.migrate.latest({ migrationSource });
  assert.equal(await knex.schema.hasTable('ledger'), true);
}));

test('query builder: insert, select with join and aggregates, update, delete', shown(async () => {
  await knex('accounts').insert([{ owner: 'ana', balance: 10.5 }, { owner: 'ben', balance: 0 }]);
  const [row] = await knex('accounts').insert({ owner: 'cy', balance: 3 }).returning(['id', 'owner']);
  assert.equal(row, { id: 3, owner: 'cy' });
  await knex('ledger').insert([
    { account_id: 1, amount_cents: 500, memo: 'salary' },
    { account_id: 1, amount_cents: -200, memo: 'rent' },
    { account_id: 2, amount_cents: 50, memo: null },
  ]);
  const sums = await knex('accounts as a').leftJoin('ledger as l', 'l.account_id', 'a.id')
    .select('a.owner').sum({ total: 'l.amount_cents' }).count({ n: 'l.id' }).groupBy('a.owner').orderBy('a.owner');
  assert.equal(sums, [
    { owner: 'ana', total: 300, n: 2 },
    { owner: 'ben', total: 50, n: 1 },
    { owner: 'cy', total: null, n: 0 },
  ]);
  const changed = await knex('accounts').where('owner', 'ben').update({ balance: knex.raw('balance + ?', [7]) });
  assert.equal(changed, 1);
  const ben = await knex('accounts').where({ owner: 'ben' }).first('balance');
  assert.equal(ben, { balance: 7 });
  const gone = await knex('ledger').whereNull('memo').del();
  assert.equal(gone, 1);
  assert.equal(await knex('accounts').whereIn('owner', ['ana', 'cy']).pluck('id'), [1, 3]);
}));

test('transactions commit, roll back on error, and nest with savepoints', shown(async () => {
  await rejection(knex.transaction(async (trx) => {
    await trx('accounts').insert({ owner: 'tmp' });
    await trx('ledger').insert({ account_id: 999, amount_cents: 1 }); // foreign key
  }));
  assert.equal(await knex('accounts').where('owner', 'tmp').first(), undefined);
  await knex.transaction(async (trx) => {
    await trx('accounts').insert({ owner: 'dee' });
    await rejection(trx.transaction(async (inner) => {
      await inner('accounts').insert({ owner: 'inner' });
      throw new Error('undo the inner one');
    }));
  });
  assert.equal(await knex('accounts').orderBy('id').pluck('owner'), ['ana', 'ben', 'cy', 'dee']);
}));

test('table rebuilds: alter a column, rename and drop columns, keep the data and the foreign keys', shown(async () => {
  await knex.schema.alterTable('ledger', (t) => {
    t.string('memo', 200).notNullable().defaultTo('').alter();
  });
  await knex.schema.alterTable('ledger', (t) => { t.renameColumn('memo', 'note'); });
  await knex.schema.alterTable('accounts', (t) => { t.dropColumn('updated_at'); });
  const cols = (await knex.raw("SELECT name, type, \"notnull\" FROM pragma_table_info('ledger') ORDER BY cid")) as unknown[];
  assert.equal(cols, [
    { name: 'id', type: 'INTEGER', notnull: 1 },
    { name: 'account_id', type: 'INTEGER', notnull: 1 },
    { name: 'amount_cents', type: 'INTEGER', notnull: 1 },
    { name: 'note', type: 'varchar(200)', notnull: 1 },
  ]);
  assert.equal(await knex('ledger').orderBy('id').pluck('note'), ['salary', 'rent']);
  assert.equal(Object.keys(await knex('accounts').columnInfo()), ['id', 'owner', 'balance', 'created_at']);
  await knex('accounts').where('owner', 'ana').del(); // cascades through the rebuilt table's foreign key
  assert.equal(await knex('ledger').count({ n: '*' }), [{ n: 0 }]);
}));

test('the data is on disk encrypted and reads back after reopen', shown(async () => {
  await knex.destroy();
  const db = connect(file, KEY, { fileMustExist: true });
  try {
    assert.equal(db.prepare('SELECT owner FROM accounts ORDER BY id').pluck().all(), ['ben', 'cy', 'dee']);
  } finally {
    db.close();
  }
  const blobs = readdirSync(dir, { recursive: true }).map(String).map((f) => join(dir, f)).filter((p) => statSync(p).isFile()).map((p) => readFileSync(p).toString('latin1'));
  assert.ok(ORACLE || !blobs.some((b) => b.includes('salary') || b.includes('knex_migrations')), 'no plaintext on disk');
}));

test.run();
