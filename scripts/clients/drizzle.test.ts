/**
 * Drizzle ORM's better-sqlite3 driver over HeliosDB-Lite: migrations from a
 * migrations folder (drizzle-kit's layout), typed inserts with .returning(),
 * joins, relational queries with `with:` (JSON functions), updates, deletes,
 * transactions with rollback, prepared statements with placeholders, on an
 * encrypted database. Every check also holds on better-sqlite3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { sqliteTable, integer, text, real } from 'drizzle-orm/sqlite-core';
import { relations, eq, gt, desc, sql, count, placeholder } from 'drizzle-orm';
import { clientDatabase, shown, type ClientFixture } from './fixture.ts';

const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  score: real('score').notNull().default(0),
});
const posts = sqliteTable('posts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  authorId: integer('author_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp' }).notNull(),
});
const usersRelations = relations(users, ({ many }) => ({ posts: many(posts) }));
const postsRelations = relations(posts, ({ one }) => ({ author: one(users, { fields: [posts.authorId], references: [users.id] }) }));
const schema = { users, posts, usersRelations, postsRelations };

/** The SQL drizzle-kit generates for the schema above, in its folder layout. */
function writeMigrations(folder: string): void {
  const m1 = [
    'CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`name` text NOT NULL,\n\t`email` text NOT NULL\n);',
    'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);',
    'CREATE TABLE `posts` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`author_id` integer NOT NULL,\n\t`title` text NOT NULL,\n\t`created_at` integer NOT NULL,\n\tFOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade\n);',
  ].join('\n--> statement-breakpoint\n');
  const m2 = 'ALTER TABLE `users` ADD `score` real DEFAULT 0 NOT NULL;';
  const journal = {
    version: '7',
    dialect: 'sqlite',
    entries: [
      { idx: 0, version: '6', when: 1733500000000, tag: '0000_init', breakpoints: true },
      { idx: 1, version: '6', when: 1733600000000, tag: '0001_score', breakpoints: true },
    ],
  };
  mkdirSync(join(folder, 'meta'), { recursive: true });
  writeFileSync(join(folder, '0000_init.sql'), m1);
  writeFileSync(join(folder, '0001_score.sql'), m2);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
}

let fx: ClientFixture;
let db: BetterSQLite3Database<typeof schema>;

test.before(() => {
  fx = clientDatabase('drizzle');
  db = drizzle(fx.db as never, { schema });
});

test.after(() => fx.cleanup());

test('migrate() applies the migrations folder once and records it', shown(() => {
  const folder = join(dirname(fx.path), 'drizzle');
  writeMigrations(folder);
  migrate(db, { migrationsFolder: folder });
  migrate(db, { migrationsFolder: folder }); // a second run applies nothing
  const applied = fx.db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get();
  assert.equal(applied, 2);
  const cols = fx.db.prepare("SELECT name FROM pragma_table_info('users') ORDER BY cid").pluck().all();
  assert.equal(cols, ['id', 'name', 'email', 'score']);
}));

test('insert … returning gives typed rows, defaults and timestamps included', shown(() => {
  const at = new Date('2026-01-02T03:04:05Z');
  const [ada] = db.insert(users).values({ name: 'Ada', email: 'ada@example.org' }).returning().all();
  assert.equal(ada, { id: 1, name: 'Ada', email: 'ada@example.org', score: 0 });
  db.insert(users).values([{ name: 'Grace', email: 'grace@example.org', score: 9.5 }, { name: 'Linus', email: 'linus@example.org', score: 3 }]).run();
  const inserted = db.insert(posts).values([
    { authorId: 1, title: 'Engines', createdAt: at },
    { authorId: 1, title: 'Notes', createdAt: at },
    { authorId: 2, title: 'Compilers', createdAt: at },
  ]).returning({ id: posts.id, createdAt: posts.createdAt }).all();
  assert.equal(inserted.map((p) => p.id), [1, 2, 3]);
  assert.equal(inserted[0]!.createdAt.getTime(), at.getTime());
}));

test('select with where, order, limit, join and aggregate', shown(() => {
  const top = db.select({ name: users.name }).from(users).where(gt(users.score, 1)).orderBy(desc(users.score)).limit(1).all();
  assert.equal(top, [{ name: 'Grace' }]);
  const joined = db.select({ title: posts.title, author: users.name }).from(posts).innerJoin(users, eq(posts.authorId, users.id)).orderBy(posts.id).all();
  assert.equal(joined, [
    { title: 'Engines', author: 'Ada' },
    { title: 'Notes', author: 'Ada' },
    { title: 'Compilers', author: 'Grace' },
  ]);
  const perAuthor = db.select({ author: users.name, n: count(posts.id) }).from(users).leftJoin(posts, eq(posts.authorId, users.id)).groupBy(users.name).orderBy(users.name).all();
  assert.equal(perAuthor, [{ author: 'Ada', n: 2 }, { author: 'Grace', n: 1 }, { author: 'Linus', n: 0 }]);
  const one = db.select().from(users).where(eq(users.email, 'linus@example.org')).get();
  assert.equal(one?.name, 'Linus');
}));

test('relational queries with `with:` nest rows (JSON functions)', shown(() => {
  const rows = db.query.users.findMany({
    columns: { name: true },
    with: { posts: { columns: { title: true }, orderBy: (p, { asc }) => [asc(p.id)] } },
    orderBy: (u, { asc }) => [asc(u.id)],
  }).sync();
  assert.equal(rows, [
    { name: 'Ada', posts: [{ title: 'Engines' }, { title: 'Notes' }] },
    { name: 'Grace', posts: [{ title: 'Compilers' }] },
    { name: 'Linus', posts: [] },
  ]);
  const post = db.query.posts.findFirst({ where: eq(posts.title, 'Compilers'), with: { author: { columns: { email: true } } } }).sync();
  assert.equal(post?.author, { email: 'grace@example.org' });
}));

test('a prepared statement with placeholders runs many times', shown(() => {
  const byId = db.select({ name: users.name }).from(users).where(eq(users.id, placeholder('id'))).prepare();
  assert.equal(byId.get({ id: 2 }), { name: 'Grace' });
  assert.equal(byId.get({ id: 3 }), { name: 'Linus' });
  assert.equal(byId.get({ id: 99 }), undefined);
}));

test('update and delete; deleting a user cascades to its posts', shown(() => {
  const updated = db.update(users).set({ score: sql`${users.score} + 1` }).where(eq(users.name, 'Ada')).returning({ score: users.score }).all();
  assert.equal(updated, [{ score: 1 }]);
  const res = db.delete(users).where(eq(users.name, 'Grace')).run();
  assert.equal(res.changes, 1);
  assert.equal(db.select({ title: posts.title }).from(posts).orderBy(posts.id).all(), [{ title: 'Engines' }, { title: 'Notes' }]);
}));

test('a transaction that throws, or calls tx.rollback(), leaves nothing behind', shown(() => {
  assert.throws(() => db.transaction((tx) => {
    tx.insert(users).values({ name: 'Tmp', email: 'tmp@example.org' }).run();
    tx.insert(users).values({ name: 'Dup', email: 'ada@example.org' }).run(); // UNIQUE
  }));
  assert.throws(() => db.transaction((tx) => {
    tx.insert(users).values({ name: 'Tmp2', email: 'tmp2@example.org' }).run();
    tx.rollback();
  }));
  db.transaction((tx) => {
    tx.insert(users).values({ name: 'Kept', email: 'kept@example.org' }).run();
    assert.throws(() => tx.transaction((inner) => {
      inner.insert(users).values({ name: 'Inner', email: 'inner@example.org' }).run();
      inner.rollback();
    }));
  });
  const names = db.select({ name: users.name }).from(users).orderBy(users.id).all().map((u) => u.name);
  assert.equal(names, ['Ada', 'Linus', 'Kept']);
}));

test('the data is on disk encrypted and reads back after reopen', shown(() => {
  fx.db.close();
  assert.equal(fx.reopenAndRead('SELECT email FROM users ORDER BY id'), ['ada@example.org', 'linus@example.org', 'kept@example.org']);
  assert.equal(fx.plaintextFound(['ada@example.org', 'Engines', '__drizzle_migrations']), []);
}));

test.run();
