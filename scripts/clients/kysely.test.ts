/**
 * Kysely's SqliteDialect over HeliosDB-Lite: a realistic workload on an
 * encrypted database — schema builder, inserts with RETURNING, joins,
 * aggregates, updates, deletes, transactions (commit and rollback), the
 * Migrator, introspection (pragma_table_info), jsonArrayFrom/jsonObjectFrom
 * (JSON functions) and streaming. Every check also holds on better-sqlite3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kysely, SqliteDialect, ParseJSONResultsPlugin, sql, type Generated } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/sqlite';
import { clientDatabase, rejection, shown, type ClientFixture } from './fixture.ts';

interface Schema {
  person: { id: Generated<number>; first_name: string; last_name: string | null; age: number };
  pet: { id: Generated<number>; owner_id: number; name: string; species: string };
}

let fx: ClientFixture;
let db: Kysely<Schema>;

test.before(async () => {
  fx = clientDatabase('kysely');
  db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: fx.db as never }), plugins: [new ParseJSONResultsPlugin()] });
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('last_name', 'text')
    .addColumn('age', 'integer', (c) => c.notNull().check(sql`age >= 0`))
    .execute();
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('person.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('species', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pet_owner_idx').on('pet').column('owner_id').execute();
  await sql`PRAGMA foreign_keys = ON`.execute(db);
});

test.after(() => fx.cleanup());

test('insert with returning, then select by key', shown(async () => {
  const jen = await db.insertInto('person').values({ first_name: 'Jennifer', last_name: 'Aniston', age: 40 }).returning(['id', 'first_name']).executeTakeFirstOrThrow();
  assert.equal(jen, { id: 1, first_name: 'Jennifer' });
  const r = await db.insertInto('person').values([{ first_name: 'Arnold', last_name: null, age: 70 }, { first_name: 'Sylvester', last_name: 'Stallone', age: 65 }]).executeTakeFirst();
  assert.equal(r.numInsertedOrUpdatedRows, 2n);
  assert.equal(r.insertId, 3n);
  const p = await db.selectFrom('person').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
  assert.equal(p, { id: 2, first_name: 'Arnold', last_name: null, age: 70 });
}));

test('inner and left joins with aliases, ordering and limits', shown(async () => {
  await db.insertInto('pet').values([
    { owner_id: 1, name: 'Catto', species: 'cat' },
    { owner_id: 1, name: 'Doggo', species: 'dog' },
    { owner_id: 3, name: 'Hammo', species: 'hamster' },
  ]).execute();
  const rows = await db.selectFrom('person as p').innerJoin('pet', 'pet.owner_id', 'p.id')
    .select(['p.first_name', 'pet.name as pet_name']).orderBy('pet.name').execute();
  assert.equal(rows, [
    { first_name: 'Jennifer', pet_name: 'Catto' },
    { first_name: 'Jennifer', pet_name: 'Doggo' },
    { first_name: 'Sylvester', pet_name: 'Hammo' },
  ]);
  const left = await db.selectFrom('person').leftJoin('pet', 'pet.owner_id', 'person.id')
    .select(['person.first_name', 'pet.name']).where('pet.id', 'is', null).execute();
  assert.equal(left, [{ first_name: 'Arnold', name: null }]);
  const page = await db.selectFrom('pet').select('name').orderBy('name', 'desc').limit(2).offset(1).execute();
  assert.equal(page.map((x) => x.name), ['Doggo', 'Catto']);
}));

test('aggregates with group by and having', shown(async () => {
  const rows = await db.selectFrom('pet').innerJoin('person', 'person.id', 'pet.owner_id')
    .select(['person.first_name', (eb) => eb.fn.count<number>('pet.id').as('pets')])
    .groupBy('person.first_name').having((eb) => eb.fn.count('pet.id'), '>', 1).execute();
  assert.equal(rows, [{ first_name: 'Jennifer', pets: 2 }]);
  const { avg } = await db.selectFrom('person').select((eb) => eb.fn.avg<number>('age').as('avg')).executeTakeFirstOrThrow();
  assert.equal(avg, 175 / 3);
}));

test('update and delete report affected rows; the foreign key cascades', shown(async () => {
  const u = await db.updateTable('person').set({ age: sql`age + 1` }).where('age', '>', 60).executeTakeFirst();
  assert.equal(u.numUpdatedRows, 2n);
  const d = await db.deleteFrom('person').where('first_name', '=', 'Sylvester').executeTakeFirst();
  assert.equal(d.numDeletedRows, 1n);
  const pets = await db.selectFrom('pet').select('name').orderBy('name').execute();
  assert.equal(pets.map((x) => x.name), ['Catto', 'Doggo']);
}));

test('a failing transaction rolls back every statement; a good one commits', shown(async () => {
  await rejection(db.transaction().execute(async (trx) => {
    await trx.insertInto('person').values({ first_name: 'Temp', last_name: null, age: 1 }).execute();
    await trx.insertInto('pet').values({ owner_id: 1, name: 'Catto', species: 'cat' }).execute(); // UNIQUE violation
  }));
  assert.equal((await db.selectFrom('person').select('id').where('first_name', '=', 'Temp').execute()).length, 0);
  await db.transaction().execute(async (trx) => {
    const { id } = await trx.insertInto('person').values({ first_name: 'Kept', last_name: 'K', age: 2 }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('pet').values({ owner_id: id, name: 'Fishy', species: 'fish' }).execute();
  });
  const kept = await db.selectFrom('pet').innerJoin('person', 'person.id', 'pet.owner_id').select('person.first_name').where('pet.name', '=', 'Fishy').executeTakeFirst();
  assert.equal(kept, { first_name: 'Kept' });
}));

test('a CHECK violation surfaces as an error and changes nothing', shown(async () => {
  await rejection(db.insertInto('person').values({ first_name: 'Neg', last_name: null, age: -1 }).execute());
  assert.equal((await db.selectFrom('person').select('id').where('first_name', '=', 'Neg').execute()).length, 0);
}));

test('the Migrator applies migrations once, records them, and migrates down', shown(async () => {
  const migrations: Record<string, Migration> = {
    '0001_toy': {
      async up(k) {
        await k.schema.createTable('toy').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('label', 'text').execute();
      },
      async down(k) { await k.schema.dropTable('toy').execute(); },
    },
    '0002_toy_price': {
      async up(k) { await k.schema.alterTable('toy').addColumn('price', 'real', (c) => c.defaultTo(0)).execute(); },
      async down(k) { await k.schema.alterTable('toy').dropColumn('price').execute(); },
    },
  };
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const first = await migrator.migrateToLatest();
  assert.equal(first.error && String((first.error as Error).message), undefined);
  assert.equal(first.results?.map((r) => [r.migrationName, r.status]), [['0001_toy', 'Success'], ['0002_toy_price', 'Success']]);
  const again = await migrator.migrateToLatest();
  assert.equal(again.results, []);
  await sql`INSERT INTO toy(label) VALUES ('ball')`.execute(db);
  const toy = await sql<{ label: string; price: number }>`SELECT label, price FROM toy`.execute(db);
  assert.equal(toy.rows, [{ label: 'ball', price: 0 }]);
  const down = await migrator.migrateDown();
  assert.equal(down.error, undefined);
  const cols = await sql<{ name: string }>`SELECT name FROM pragma_table_info('toy') ORDER BY cid`.execute(db);
  assert.equal(cols.rows.map((c) => c.name), ['id', 'label']);
}));

test('introspection lists tables and columns (pragma_table_info)', shown(async () => {
  const tables = await db.introspection.getTables();
  const person = tables.find((t) => t.name === 'person');
  assert.ok(person, 'person table listed');
  assert.equal(person!.columns.map((c) => [c.name, c.dataType, c.isNullable, c.isAutoIncrementing]), [
    ['id', 'INTEGER', true, true],
    ['first_name', 'TEXT', false, false],
    ['last_name', 'TEXT', true, false],
    ['age', 'INTEGER', false, false],
  ]);
  assert.ok(!tables.some((t) => t.name.startsWith('kysely_')), 'internal tables hidden');
}));

test('jsonArrayFrom and jsonObjectFrom nest related rows (JSON functions)', shown(async () => {
  const rows = await db.selectFrom('person').select((eb) => [
    'person.first_name',
    jsonArrayFrom(eb.selectFrom('pet').select(['pet.name', 'pet.species']).whereRef('pet.owner_id', '=', 'person.id').orderBy('pet.name')).as('pets'),
  ]).where('person.id', '=', 1).execute();
  assert.equal(rows, [{ first_name: 'Jennifer', pets: [{ name: 'Catto', species: 'cat' }, { name: 'Doggo', species: 'dog' }] }]);
  const owner = await db.selectFrom('pet').select((eb) => [
    'pet.name',
    jsonObjectFrom(eb.selectFrom('person').select(['person.first_name', 'person.age']).whereRef('person.id', '=', 'pet.owner_id')).as('owner'),
  ]).where('pet.name', '=', 'Doggo').executeTakeFirstOrThrow();
  assert.equal(owner, { name: 'Doggo', owner: { first_name: 'Jennifer', age: 40 } });
}));

test('stream() yields rows one at a time', shown(async () => {
  const names: string[] = [];
  for await (const row of db.selectFrom('pet').select('name').orderBy('name').stream()) names.push(row.name);
  assert.equal(names, ['Catto', 'Doggo', 'Fishy']);
}));

test('the data is on disk encrypted and reads back after reopen', shown(async () => {
  await db.destroy();
  const names = fx.reopenAndRead('SELECT first_name FROM person ORDER BY id');
  assert.equal(names, ['Jennifer', 'Arnold', 'Kept']);
  assert.equal(fx.plaintextFound(['Jennifer', 'Catto', 'first_name']), []);
}));

test.run();
