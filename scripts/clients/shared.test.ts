/**
 * Two client libraries on one encrypted database file in one process, each with its own
 * connection — an application on Kysely beside a module on Drizzle (spec/connections.md):
 * Kysely's Migrator creates the schema, Drizzle reads and writes it through its own
 * connection, each sees the other's commits, an open Kysely transaction is invisible to
 * Drizzle and makes a Drizzle write wait its busy timeout and fail with SQLITE_BUSY, and
 * after the commit both agree. Every check also holds on better-sqlite3 in WAL mode
 * (HELIOS_CLIENT_ORACLE=1).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { sqliteTable, integer, text } from 'drizzle-orm/sqlite-core';
import { eq, count } from 'drizzle-orm';
import Database from '../../index.ts';
import { ORACLE, shown, type Connection } from './fixture.ts';

interface Schema {
  account: { id: Generated<number>; owner: string; cents: number };
}
const account = sqliteTable('account', { id: integer('id').primaryKey({ autoIncrement: true }), owner: text('owner').notNull(), cents: integer('cents').notNull() });

const dir = mkdtempSync(join(tmpdir(), 'helios-shared-clients-'));
const path = join(dir, 'bank.db');
const key = { raw: new Uint8Array(32).fill(0x3c) };

function connect(): Connection {
  if (ORACLE) {
    const Oracle = createRequire(import.meta.url)('better-sqlite3') as new (path: string, o?: object) => Connection;
    const c = new Oracle(path, { timeout: 100 });
    c.pragma('journal_mode = WAL');
    return c;
  }
  return new Database(path, { key, timeout: 100 });
}

const first = connect();
const second = connect();
const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: first as never }) });
const orm = drizzle(second as never);

test.after(async () => {
  await kysely.destroy();
  second.close();
  rmSync(dir, { recursive: true, force: true });
});

const migrations: Record<string, Migration> = {
  '0001_account': {
    async up(db) {
      await db.schema.createTable('account').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('owner', 'text', (c) => c.notNull()).addColumn('cents', 'integer', (c) => c.notNull()).execute();
    },
  },
};

test('Kysely migrates and writes; Drizzle on its own connection reads it at once', shown(async () => {
  const { error } = await new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  assert.is(error, undefined);
  await kysely.insertInto('account').values([{ owner: 'ada', cents: 1000 }, { owner: 'bob', cents: 500 }]).execute();
  const rows = orm.select().from(account).orderBy(account.id).all();
  assert.equal(rows, [{ id: 1, owner: 'ada', cents: 1000 }, { id: 2, owner: 'bob', cents: 500 }]);
}));

test('Drizzle writes; Kysely reads it, rowids never collide', shown(async () => {
  const [c] = orm.insert(account).values({ owner: 'cyd', cents: 42 }).returning().all();
  assert.equal(c, { id: 3, owner: 'cyd', cents: 42 });
  const d = await kysely.insertInto('account').values({ owner: 'dee', cents: 7 }).returning('id').executeTakeFirstOrThrow();
  assert.is(d.id, 4);
  const owners = await kysely.selectFrom('account').select('owner').orderBy('id').execute();
  assert.equal(owners.map((o) => o.owner), ['ada', 'bob', 'cyd', 'dee']);
}));

test('an open Kysely transaction is invisible to Drizzle, and a Drizzle write waits, then SQLITE_BUSY', shown(async () => {
  await kysely.transaction().execute(async (trx) => {
    await trx.updateTable('account').set({ cents: sql`cents - 100` }).where('owner', '=', 'ada').execute();
    await trx.updateTable('account').set({ cents: sql`cents + 100` }).where('owner', '=', 'bob').execute();
    assert.equal(orm.select({ cents: account.cents }).from(account).where(eq(account.owner, 'ada')).get(), { cents: 1000 }, 'not committed yet');
    const t0 = Date.now();
    let err: { code?: string } | null = null;
    try {
      orm.insert(account).values({ owner: 'eve', cents: 1 }).run();
    } catch (e) {
      err = e as { code?: string };
    }
    assert.is(err?.code, 'SQLITE_BUSY');
    assert.ok(Date.now() - t0 >= 99, 'waited the 100 ms timeout');
  });
  assert.equal(orm.select({ cents: account.cents }).from(account).where(eq(account.owner, 'ada')).get(), { cents: 900 });
  orm.insert(account).values({ owner: 'eve', cents: 1 }).run();
  assert.equal(orm.select({ n: count() }).from(account).all(), [{ n: 5 }]);
  const total = await kysely.selectFrom('account').select(sql<number>`sum(cents)`.as('s')).executeTakeFirstOrThrow();
  assert.is(total.s, 1000 + 500 + 42 + 7 + 1);
}));

test.run();
