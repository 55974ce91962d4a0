/**
 * The seed document's five scenarios (../shared/seed/000_8fba95470b0f508f.txt,
 * examples 1-5): their CREATE, INSERT, SELECT and UPDATE statements run
 * unchanged with the seed's parameters through the public API, on an
 * encrypted database (key from a file, as the seed configures it) and on an
 * unencrypted one, and give the same results.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, verifyAuditLog } from './database.ts';
import { openDatabaseFromConfig } from './config-loader.ts';

type Mode = 'encrypted' | 'plain';

function withDb<T>(mode: Mode, fn: (db: Database) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'helios-seed-'));
  let db: Database | null = null;
  try {
    if (mode === 'encrypted') {
      const keyFile = join(dir, 'ehr_encryption.key');
      writeFileSync(keyFile, 'ab'.repeat(32) + '\n');
      db = new Database(join(dir, 'ehr.db'), { key: { file: keyFile }, synchronous: 'normal' });
      assert.is(db.storageInfo().encryptionEnabled, true);
      assert.is(db.storageInfo().encryptionAlgorithm, 'AES-256-GCM');
    } else {
      db = new Database(join(dir, 'ehr.db'), { encryption: false, synchronous: 'normal' });
      assert.is(db.storageInfo().encryptionEnabled, false);
    }
    return fn(db);
  } finally {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a scenario on both kinds of database and checks they agree. */
function both(fn: (db: Database) => unknown): void {
  const a = withDb('encrypted', fn);
  const b = withDb('plain', fn);
  assert.equal(a, b, 'encrypted and unencrypted databases disagree');
}

const stripTimes = <T extends Record<string, unknown>>(r: T): T => {
  const o = { ...r };
  for (const k of ['created_at', 'updated_at', 'timestamp', 'transaction_timestamp']) if (k in o) (o as Record<string, unknown>)[k] = typeof o[k];
  return o;
};

test('seed example 1 (HIPAA EHR): schema, add patient, encounter, prescription, lookups by MRN and patient', () => {
  both((db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS patients (
                patient_id INTEGER PRIMARY KEY AUTOINCREMENT,
                mrn TEXT NOT NULL UNIQUE,           -- Medical Record Number
                first_name TEXT NOT NULL,
                last_name TEXT NOT NULL,
                date_of_birth DATE NOT NULL,
                ssn_encrypted TEXT,                 -- Extra layer: app-level encryption
                email TEXT,
                phone TEXT,
                created_at INTEGER DEFAULT (strftime('%s', 'now')),
                updated_at INTEGER DEFAULT (strftime('%s', 'now'))
            )`);
    db.exec(`CREATE TABLE IF NOT EXISTS encounters (
                encounter_id INTEGER PRIMARY KEY AUTOINCREMENT,
                patient_id INTEGER NOT NULL,
                encounter_date DATE NOT NULL,
                chief_complaint TEXT,
                vitals_bp TEXT,                    -- Blood pressure
                vitals_temp REAL,                  -- Temperature
                vitals_pulse INTEGER,
                diagnosis_codes TEXT,               -- ICD-10 codes (JSON array)
                provider_id INTEGER,
                created_at INTEGER DEFAULT (strftime('%s', 'now')),
                FOREIGN KEY (patient_id) REFERENCES patients(patient_id)
            )`);
    db.exec(`CREATE TABLE IF NOT EXISTS prescriptions (
                prescription_id INTEGER PRIMARY KEY AUTOINCREMENT,
                patient_id INTEGER NOT NULL,
                encounter_id INTEGER,
                medication_name TEXT NOT NULL,
                dosage TEXT NOT NULL,
                frequency TEXT NOT NULL,
                start_date DATE NOT NULL,
                end_date DATE,
                prescriber_id INTEGER,
                created_at INTEGER DEFAULT (strftime('%s', 'now')),
                FOREIGN KEY (patient_id) REFERENCES patients(patient_id),
                FOREIGN KEY (encounter_id) REFERENCES encounters(encounter_id)
            )`);
    db.exec(`CREATE TABLE IF NOT EXISTS audit_log (
                log_id INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp INTEGER DEFAULT (strftime('%s', 'now')),
                user_id INTEGER,
                action TEXT NOT NULL,              -- SELECT, INSERT, UPDATE, DELETE
                table_name TEXT NOT NULL,
                record_id INTEGER,
                ip_address TEXT,
                details TEXT                       -- JSON with additional context
            )`);
    db.exec('CREATE INDEX IF NOT EXISTS idx_patient_mrn ON patients(mrn)');
    db.exec('CREATE INDEX IF NOT EXISTS idx_encounters_patient ON encounters(patient_id)');
    db.exec('CREATE INDEX IF NOT EXISTS idx_prescriptions_patient ON prescriptions(patient_id)');
    const audit = db.prepare(`
            INSERT INTO audit_log (user_id, action, table_name, record_id, details)
            VALUES (?, ?, ?, ?, ?)
        `);
    const p = db
      .prepare(`
            INSERT INTO patients (mrn, first_name, last_name, date_of_birth,
                                 ssn_encrypted, email, phone)
            VALUES (?, ?, ?, ?, ?, ?, ?)
        `)
      .run('MRN001234', 'Jane', 'Doe', '1985-06-15', '01a5f0c2'.repeat(8), 'jane.doe@example.com', '555-0100');
    assert.is(p.lastInsertRowid, 1);
    audit.run(42, 'INSERT', 'patients', p.lastInsertRowid, 'Added patient MRN001234');
    const e = db
      .prepare(`
            INSERT INTO encounters (patient_id, encounter_date, chief_complaint,
                                   vitals_bp, vitals_temp, vitals_pulse,
                                   diagnosis_codes, provider_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        `)
      .run(p.lastInsertRowid, '2025-11-30', 'Annual physical exam', '120/80', 98.6, 72, JSON.stringify(['Z00.00']), 7);
    audit.run(42, 'INSERT', 'encounters', e.lastInsertRowid, `Recorded encounter for patient ${p.lastInsertRowid}`);
    const rx = db
      .prepare(`
            INSERT INTO prescriptions (patient_id, encounter_id, medication_name,
                                      dosage, frequency, start_date, end_date,
                                      prescriber_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        `)
      .run(p.lastInsertRowid, e.lastInsertRowid, 'Lisinopril', '10mg', 'Once daily', '2025-11-30', null, 7);
    assert.is(rx.changes, 1);
    const patient = db
      .prepare(`
            SELECT patient_id, mrn, first_name, last_name, date_of_birth,
                   email, phone, created_at
            FROM patients
            WHERE mrn = ?
        `)
      .get('MRN001234') as Record<string, unknown>;
    assert.is(typeof patient.created_at, 'number');
    assert.equal(stripTimes(patient), {
      patient_id: 1,
      mrn: 'MRN001234',
      first_name: 'Jane',
      last_name: 'Doe',
      date_of_birth: '1985-06-15',
      email: 'jane.doe@example.com',
      phone: '555-0100',
      created_at: 'number',
    });
    const enc = db
      .prepare(`
            SELECT encounter_id, encounter_date, chief_complaint,
                   vitals_bp, vitals_temp, vitals_pulse, diagnosis_codes
            FROM encounters
            WHERE patient_id = ?
            ORDER BY encounter_date DESC
        `)
      .all(1);
    assert.equal(enc, [{ encounter_id: 1, encounter_date: '2025-11-30', chief_complaint: 'Annual physical exam', vitals_bp: '120/80', vitals_temp: 98.6, vitals_pulse: 72, diagnosis_codes: '["Z00.00"]' }]);
    assert.is(db.prepare('SELECT count(*) FROM audit_log').pluck().get(), 2);
    // A duplicate MRN is refused with SQLite's message and a typed code.
    try {
      db.prepare('INSERT INTO patients (mrn, first_name, last_name, date_of_birth) VALUES (?, ?, ?, ?)').run('MRN001234', 'X', 'Y', '2000-01-01');
      assert.unreachable('duplicate MRN accepted');
    } catch (err) {
      assert.is((err as { code: string }).code, 'CONSTRAINT_UNIQUE');
      assert.is((err as Error).message, 'UNIQUE constraint failed: patients.mrn');
    }
    return { patient: stripTimes(patient), enc };
  });
});

test('seed example 2 (PCI-DSS POS): record transactions, unsynced by timestamp with LIMIT ?, mark synced with IN', () => {
  both((db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS transactions (
                transaction_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                amount_cents INTEGER NOT NULL,
                currency TEXT NOT NULL,
                card_last4 TEXT NOT NULL,           -- Last 4 digits (still encrypt)
                card_exp_month INTEGER,
                card_exp_year INTEGER,
                auth_code TEXT,                     -- Payment processor authorization
                processor TEXT NOT NULL,            -- 'stripe', 'square', etc.
                status TEXT NOT NULL,               -- 'approved', 'declined'
                terminal_id TEXT NOT NULL,
                cashier_id TEXT,
                transaction_timestamp INTEGER DEFAULT (strftime('%s', 'now')),
                synced_to_server BOOLEAN DEFAULT 0
            )`);
    db.exec(`CREATE INDEX IF NOT EXISTS idx_transactions_sync
            ON transactions(synced_to_server, transaction_timestamp)`);
    db.exec(`CREATE TABLE IF NOT EXISTS pci_audit_log (
                log_id INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp INTEGER DEFAULT (strftime('%s', 'now')),
                cashier_id TEXT,
                action TEXT NOT NULL,
                transaction_id TEXT,
                ip_address TEXT,
                details TEXT
            )`);
    const ins = db.prepare(`INSERT INTO transactions (
                transaction_id, order_id, amount_cents, currency,
                card_last4, card_exp_month, card_exp_year,
                auth_code, processor, status, terminal_id, cashier_id
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const ids = ['TXN_A', 'TXN_B', 'TXN_C'];
    for (const id of ids) ins.run(id, 'ORDER_12345', 4599, 'USD', '4242', 12, 2027, 'AUTH_ABC123', 'stripe', 'approved', 'TERMINAL_001', 'CASHIER_007');
    db.prepare(`INSERT INTO pci_audit_log (cashier_id, action, transaction_id, details)
            VALUES (?, ?, ?, ?)`).run('CASHIER_007', 'RECORD_TRANSACTION', 'TXN_A', 'Recorded approved transaction for $45.99');
    const unsynced = () =>
      db
        .prepare(`SELECT transaction_id, order_id, amount_cents, currency,
                   card_last4, auth_code, processor, status,
                   transaction_timestamp
            FROM transactions
            WHERE synced_to_server = 0
            ORDER BY transaction_timestamp ASC
            LIMIT ?`)
        .all(1000)
        .map((r) => stripTimes(r as Record<string, unknown>));
    const before = unsynced();
    assert.is(before.length, 3);
    assert.equal(before[0], { transaction_id: 'TXN_A', order_id: 'ORDER_12345', amount_cents: 4599, currency: 'USD', card_last4: '4242', auth_code: 'AUTH_ABC123', processor: 'stripe', status: 'approved', transaction_timestamp: 'number' });
    const placeholders = Array(2).fill('?').join(',');
    const r = db.prepare(`UPDATE transactions SET synced_to_server = 1 WHERE transaction_id IN (${placeholders})`).run(...ids.slice(0, 2));
    assert.is(r.changes, 2);
    const after = unsynced();
    assert.equal(after.map((x) => x.transaction_id), ['TXN_C']);
    try {
      ins.run('TXN_A', 'O', 1, 'USD', '4242', 1, 2030, null, 'stripe', 'approved', 'T', null);
      assert.unreachable('duplicate primary key accepted');
    } catch (err) {
      assert.is((err as { code: string }).code, 'CONSTRAINT_PRIMARYKEY');
    }
    return { before, after };
  });
});

test('seed example 3 (GDPR SaaS): customers, projects, tasks, the export join and the anonymizing UPDATE', () => {
  both((db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS customers (
        customer_id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        country TEXT NOT NULL,           -- EU country code
        consent_given BOOLEAN NOT NULL,  -- GDPR Art. 6 lawful basis
        consent_timestamp INTEGER,
        anonymized BOOLEAN DEFAULT 0,    -- For "right to erasure"
        created_at INTEGER DEFAULT (strftime('%s', 'now')),
        updated_at INTEGER DEFAULT (strftime('%s', 'now'))
      )`);
    db.exec(`CREATE TABLE IF NOT EXISTS projects (
        project_id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        team_members TEXT,               -- JSON array of user IDs
        created_at INTEGER DEFAULT (strftime('%s', 'now')),
        FOREIGN KEY (customer_id) REFERENCES customers(customer_id)
      )`);
    db.exec(`CREATE TABLE IF NOT EXISTS tasks (
        task_id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        assignee_id TEXT,
        status TEXT NOT NULL,
        created_at INTEGER DEFAULT (strftime('%s', 'now')),
        FOREIGN KEY (project_id) REFERENCES projects(project_id)
      )`);
    db.exec(`CREATE TABLE IF NOT EXISTS gdpr_access_log (
        log_id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp INTEGER DEFAULT (strftime('%s', 'now')),
        customer_id TEXT,
        action TEXT NOT NULL,            -- SELECT, INSERT, UPDATE, DELETE, EXPORT
        purpose TEXT,                    -- GDPR Art. 6 lawful purpose
        data_categories TEXT,            -- What types of data accessed
        ip_address TEXT,
        user_agent TEXT
      )`);
    db.exec('CREATE INDEX IF NOT EXISTS idx_customers_email ON customers(email)');
    db.exec('CREATE INDEX IF NOT EXISTS idx_projects_customer ON projects(customer_id)');
    db.pragma('foreign_keys = ON');
    const cid = 'c0ffee00-0000-4000-8000-000000000001';
    db.prepare(`
      INSERT INTO customers (customer_id, email, first_name, last_name,
                           country, consent_given, consent_timestamp)
      VALUES (?, ?, ?, ?, ?, ?, ?)
    `).run(cid, 'anna@example.de', 'Anna', 'Schmidt', 'DE', true, 1764460800);
    db.prepare('INSERT INTO projects (project_id, customer_id, title, description, team_members) VALUES (?, ?, ?, ?, ?)').run('p1', cid, 'Website', 'Relaunch', '["u1","u2"]');
    db.prepare('INSERT INTO tasks (task_id, project_id, title, description, status) VALUES (?, ?, ?, ?, ?)').run('t1', 'p1', 'Design', null, 'open');
    db.prepare('INSERT INTO tasks (task_id, project_id, title, description, status) VALUES (?, ?, ?, ?, ?)').run('t2', 'p1', 'Build', 'Pages', 'done');
    try {
      db.prepare('INSERT INTO tasks (task_id, project_id, title, status) VALUES (?, ?, ?, ?)').run('t3', 'nope', 'Orphan', 'open');
      assert.unreachable('orphan task accepted with foreign_keys = ON');
    } catch (err) {
      assert.is((err as { code: string }).code, 'CONSTRAINT_FOREIGNKEY');
    }
    const getCustomer = db.prepare(`
      SELECT customer_id, email, first_name, last_name, country,
             consent_given, created_at
      FROM customers
      WHERE customer_id = ? AND anonymized = 0
    `);
    const c = stripTimes(getCustomer.get(cid) as Record<string, unknown>);
    assert.equal(c, { customer_id: cid, email: 'anna@example.de', first_name: 'Anna', last_name: 'Schmidt', country: 'DE', consent_given: 1, created_at: 'number' });
    const tasks = db
      .prepare(`
      SELECT t.task_id, t.title, t.description, t.status, t.created_at
      FROM tasks t
      JOIN projects p ON t.project_id = p.project_id
      WHERE p.customer_id = ?
    `)
      .all(cid)
      .map((r) => stripTimes(r as Record<string, unknown>))
      .sort((a, b) => String(a.task_id).localeCompare(String(b.task_id)));
    assert.equal(tasks, [
      { task_id: 't1', title: 'Design', description: null, status: 'open', created_at: 'number' },
      { task_id: 't2', title: 'Build', description: 'Pages', status: 'done', created_at: 'number' },
    ]);
    const upd = db
      .prepare(`
      UPDATE customers
      SET email = ?,
          first_name = 'ANONYMIZED',
          last_name = 'ANONYMIZED',
          anonymized = 1,
          updated_at = strftime('%s', 'now')
      WHERE customer_id = ?
    `)
      .run('anonymized_0123456789abcdef@gdpr.local', cid);
    assert.is(upd.changes, 1);
    assert.is(getCustomer.get(cid), undefined);
    return { c, tasks };
  });
});

test('seed example 4 (classified, air-gapped): ?NNN parameters, reports by classification ordered by time', () => {
  both((db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS intelligence_reports (
                report_id TEXT PRIMARY KEY,
                classification TEXT NOT NULL,
                source TEXT NOT NULL,
                content TEXT NOT NULL,
                geolocation_lat REAL,
                geolocation_lon REAL,
                timestamp INTEGER NOT NULL,
                clearance_required TEXT NOT NULL,
                created_by TEXT,
                created_at INTEGER DEFAULT (strftime('%s', 'now'))
            )`);
    db.exec(`CREATE TABLE IF NOT EXISTS security_audit_log (
                log_id INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp INTEGER DEFAULT (strftime('%s', 'now')),
                user_id TEXT NOT NULL,
                action TEXT NOT NULL,
                resource_type TEXT,
                resource_id TEXT,
                classification TEXT,
                access_granted BOOLEAN,
                denial_reason TEXT
            )`);
    db.exec(`CREATE INDEX IF NOT EXISTS idx_reports_classification
             ON intelligence_reports(classification)`);
    const add = db.prepare(`INSERT INTO intelligence_reports
             (report_id, classification, source, content, geolocation_lat,
              geolocation_lon, timestamp, clearance_required)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`);
    add.run('RPT-001', 'Secret', 'HUMINT', 'Observed activity near the border', 38.8977, -77.0365, 1764460800, 'Secret');
    add.run('RPT-002', 'Confidential', 'SIGINT', 'Intercepted schedule', null, null, 1764464400, 'Confidential');
    add.run('RPT-003', 'TopSecret', 'IMINT', 'Satellite imagery', 1.5, 2.5, 1764468000, 'TopSecret');
    db.prepare(`INSERT INTO security_audit_log
             (user_id, action, resource_type, resource_id, classification, access_granted)
             VALUES (?1, ?2, ?3, ?4, ?5, 1)`).run('current_user', 'INSERT', 'intelligence_reports', 'RPT-001', 'Secret');
    db.prepare(`INSERT INTO security_audit_log
             (user_id, action, resource_type, resource_id, classification,
              access_granted, denial_reason)
             VALUES (?1, 'ACCESS_DENIED', ?2, ?3, ?4, 0, ?5)`).run('current_user', 'intelligence_reports', 'ALL', 'TopSecret', 'Insufficient clearance for query');
    const reports = db
      .prepare(`SELECT report_id, classification, source, content,
                    geolocation_lat, geolocation_lon, timestamp
             FROM intelligence_reports
             WHERE classification <= ?1
             ORDER BY timestamp DESC`)
      .all('Secret');
    // Text comparison: 'Confidential' and 'Secret' sort at or below 'Secret'; 'TopSecret' does not.
    assert.equal(reports, [
      { report_id: 'RPT-002', classification: 'Confidential', source: 'SIGINT', content: 'Intercepted schedule', geolocation_lat: null, geolocation_lon: null, timestamp: 1764464400 },
      { report_id: 'RPT-001', classification: 'Secret', source: 'HUMINT', content: 'Observed activity near the border', geolocation_lat: 38.8977, geolocation_lon: -77.0365, timestamp: 1764460800 },
    ]);
    const log = db.prepare('SELECT action, access_granted, denial_reason FROM security_audit_log ORDER BY log_id').raw().all();
    assert.equal(log, [
      ['INSERT', 1, null],
      ['ACCESS_DENIED', 0, 'Insufficient clearance for query'],
    ]);
    return { reports, log };
  });
});

test('seed example 5 (IoT manufacturing): sensor readings by sensor and time DESC LIMIT 1000 through the index, recipes by id', () => {
  both((db) => {
    db.exec(`
        CREATE TABLE IF NOT EXISTS sensor_readings (
            reading_id INTEGER PRIMARY KEY AUTOINCREMENT,
            sensor_id TEXT NOT NULL,
            sensor_type TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            production_line TEXT NOT NULL
        )
    `);
    db.exec(`
        CREATE TABLE IF NOT EXISTS production_recipes (
            recipe_id TEXT PRIMARY KEY,
            product_name TEXT NOT NULL,
            ingredients TEXT NOT NULL,        -- JSON (encrypted at rest)
            process_steps TEXT NOT NULL,      -- JSON
            temperature REAL,
            pressure REAL,
            duration_seconds INTEGER,
            confidential BOOLEAN DEFAULT 1,
            created_at INTEGER DEFAULT (strftime('%s', 'now'))
        )
    `);
    db.exec(`
        CREATE TABLE IF NOT EXISTS audit_log (
            log_id INTEGER PRIMARY KEY AUTOINCREMENT,
            timestamp INTEGER DEFAULT (strftime('%s', 'now')),
            user_id TEXT,
            action TEXT NOT NULL,
            resource_type TEXT,
            resource_id TEXT,
            details TEXT
        )
    `);
    db.exec(`
        CREATE INDEX IF NOT EXISTS idx_sensor_timestamp
        ON sensor_readings(sensor_id, timestamp DESC)
    `);
    const ins = db.prepare(`
        INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, timestamp, production_line)
        VALUES (?, ?, ?, ?, ?, ?)
    `);
    db.transaction(() => {
      for (let i = 0; i < 1500; i++) ins.run(i % 3 === 0 ? 'TEMP-01' : 'PRES-02', 'temperature', 20 + (i % 10) / 4, 'C', 1764460800 + i, 'LINE-A');
    })();
    const recent = db.prepare(`
        SELECT sensor_id, sensor_type, value, unit, timestamp, production_line
        FROM sensor_readings
        WHERE sensor_id = ? AND timestamp > ?
        ORDER BY timestamp DESC
        LIMIT 1000
    `);
    const rows = recent.all('TEMP-01', 1764460800 + 300) as { timestamp: number; sensor_id: string }[];
    assert.is(rows.length, 399);
    assert.is(rows[0]!.timestamp, 1764460800 + 1497);
    assert.ok(rows.every((r, i) => r.sensor_id === 'TEMP-01' && (i === 0 || rows[i - 1]!.timestamp > r.timestamp)));
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT sensor_id FROM sensor_readings WHERE sensor_id = ? AND timestamp > ? ORDER BY timestamp DESC LIMIT 1000`).all('x', 1) as { detail: string }[];
    assert.equal(plan.map((p) => p.detail), ['SEARCH sensor_readings USING INDEX idx_sensor_timestamp (sensor_id=? AND timestamp>?)']);
    db.prepare(`
        INSERT INTO production_recipes
        (recipe_id, product_name, ingredients, process_steps,
         temperature, pressure, duration_seconds, confidential)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    `).run('RCP-7', 'Adhesive X', '{"resin":0.7,"hardener":0.3}', '["mix","cure"]', 85.5, 2.25, 3600, true);
    const recipe = db.prepare(`
        SELECT recipe_id, product_name, ingredients, process_steps,
               temperature, pressure, duration_seconds, confidential
        FROM production_recipes
        WHERE recipe_id = ?
    `).get('RCP-7');
    assert.equal(recipe, { recipe_id: 'RCP-7', product_name: 'Adhesive X', ingredients: '{"resin":0.7,"hardener":0.3}', process_steps: '["mix","cure"]', temperature: 85.5, pressure: 2.25, duration_seconds: 3600, confidential: 1 });
    db.prepare(`
        INSERT INTO audit_log (user_id, action, resource_type, resource_id, details)
        VALUES (?, ?, ?, ?, ?)
    `).run('operator', 'SELECT', 'production_recipes', 'RCP-7', 'Retrieved proprietary recipe');
    return { first: rows.slice(0, 3), recipe };
  });
});


test('[CRY-ROTATE-8] [AUD-OPS-1] the HIPAA seed configuration (heliosdb.toml) rotates the data key after 90 days and keeps a verifiable audit log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-seed-ops-'));
  try {
    const keyFile = join(dir, 'ehr_encryption.key');
    writeFileSync(keyFile, 'cd'.repeat(32) + '\n');
    const log = join(dir, 'log', 'audit.log');
    let now = Date.UTC(2026, 0, 1);
    const overrides = { path: join(dir, 'ehr.db'), key: { file: keyFile }, auditLogPath: log, clock: () => now };
    const config = join(process.cwd(), 'sql', 'testdata', 'config', 'heliosdb.toml');
    let db = openDatabaseFromConfig(config, overrides);
    db.exec('CREATE TABLE patients (patient_id INTEGER PRIMARY KEY, mrn TEXT UNIQUE)');
    db.prepare('INSERT INTO patients (mrn) VALUES (?)').run('MRN001234');
    let info = db.storageInfo();
    assert.is(info.rotationIntervalDays, 90);
    assert.is(info.nextRotationAt, '2026-04-01T00:00:00.000Z');
    assert.is(info.auditLogPath, log);
    assert.equal(info.dataKeyGenerationInfo.map((g) => [g.generation, g.createdAt, g.ageDays]), [[1, '2026-01-01T00:00:00.000Z', 0]]);
    db.close();
    now += 91 * 86_400_000;
    db = openDatabaseFromConfig(config, overrides);
    info = db.storageInfo();
    assert.is(info.currentDataKeyGeneration, 2, 'the open after 90 days started generation 2');
    assert.is(info.dataKeyGenerationInfo.find((g) => g.generation === 1)!.ageDays, 91);
    assert.is(db.prepare('SELECT mrn FROM patients').pluck().get(), 'MRN001234');
    const r = db.verifyAuditLog();
    assert.ok(r.ok, JSON.stringify(r.firstBroken));
    db.close();
    const ops = readFileSync(log, 'latin1').trim().split('\n').map((l) => l.split('\t')[4]);
    assert.equal(ops, ['open', 'close', 'open', 'rotate-scheduled', 'close']);
    const text = readFileSync(log, 'latin1');
    assert.not.ok(text.includes('MRN001234') || text.includes('cd'.repeat(32)), 'no data, no key');
    const report = verifyAuditLog(join(dir, 'ehr.db'), { key: { file: keyFile }, auditLogPath: log });
    assert.ok(report.ok);
    assert.is(report.verified, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
