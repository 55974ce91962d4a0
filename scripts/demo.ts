/**
 * `npm start`: the README's first command. Creates an ENCRYPTED database in a
 * fresh temporary directory with a newly generated key (a key file, as the
 * seed's clinic configures it), runs the seed's clinic scenario (example 1:
 * patients, encounters, prescriptions, audit_log), prints the query results
 * and storageInfo(), then reads every file of the database directory and
 * reports whether any inserted name, MRN or table name appears in it.
 *
 *   npm start [-- --keep]      (--keep leaves the directory for inspection)
 *
 * Exits 1 if any plaintext is found.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Database } from '../index.ts';
import { generateKeyHex } from '../crypto/key-source.ts';

const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'heliosdb-demo-'));
const keyFile = join(work, 'ehr_encryption.key');
const dbPath = join(work, 'ehr.db');

// One-time setup: a random 256-bit key, 64 hex characters and a newline (like `openssl rand -hex 32`).
writeFileSync(keyFile, generateKeyHex((n) => new Uint8Array(randomBytes(n))) + '\n', { mode: 0o400 });

const patients = [
  { mrn: 'MRN001234', first: 'Jane', last: 'Doe', dob: '1985-06-15', email: 'jane.doe@example.com', phone: '555-0100' },
  { mrn: 'MRN005678', first: 'Ramona', last: 'Quintero', dob: '1972-03-02', email: 'ramona.quintero@example.com', phone: '555-0101' },
  { mrn: 'MRN009012', first: 'Tobias', last: 'Lindqvist', dob: '1990-11-23', email: 'tobias.lindqvist@example.com', phone: '555-0102' },
];
const tables = ['patients', 'encounters', 'prescriptions', 'audit_log'];

const db = new Database(dbPath, { key: { file: keyFile } });
db.exec(`
  CREATE TABLE IF NOT EXISTS patients (
    patient_id INTEGER PRIMARY KEY AUTOINCREMENT,
    mrn TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    ssn_encrypted TEXT,
    email TEXT,
    phone TEXT,
    created_at INTEGER DEFAULT (strftime('%s', 'now')),
    updated_at INTEGER DEFAULT (strftime('%s', 'now'))
  );
  CREATE TABLE IF NOT EXISTS encounters (
    encounter_id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL,
    encounter_date DATE NOT NULL,
    chief_complaint TEXT,
    vitals_bp TEXT,
    vitals_temp REAL,
    vitals_pulse INTEGER,
    diagnosis_codes TEXT,
    provider_id INTEGER,
    created_at INTEGER DEFAULT (strftime('%s', 'now')),
    FOREIGN KEY (patient_id) REFERENCES patients(patient_id)
  );
  CREATE TABLE IF NOT EXISTS prescriptions (
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
  );
  CREATE TABLE IF NOT EXISTS audit_log (
    log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp INTEGER DEFAULT (strftime('%s', 'now')),
    user_id INTEGER,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_id INTEGER,
    ip_address TEXT,
    details TEXT
  );
  CREATE INDEX IF NOT EXISTS idx_patient_mrn ON patients(mrn);
  CREATE INDEX IF NOT EXISTS idx_encounters_patient ON encounters(patient_id);
  CREATE INDEX IF NOT EXISTS idx_prescriptions_patient ON prescriptions(patient_id);
`);
db.pragma('foreign_keys = ON');

const audit = db.prepare('INSERT INTO audit_log (user_id, action, table_name, record_id, details) VALUES (?, ?, ?, ?, ?)');
const addPatient = db.prepare(`INSERT INTO patients (mrn, first_name, last_name, date_of_birth, ssn_encrypted, email, phone)
                               VALUES (?, ?, ?, ?, ?, ?, ?)`);
const addEncounter = db.prepare(`INSERT INTO encounters (patient_id, encounter_date, chief_complaint, vitals_bp, vitals_temp, vitals_pulse, diagnosis_codes, provider_id)
                                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
const addPrescription = db.prepare(`INSERT INTO prescriptions (patient_id, encounter_id, medication_name, dosage, frequency, start_date, end_date, prescriber_id)
                                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);

const ids = new Map<string, number | bigint>();
db.transaction(() => {
  for (const p of patients) {
    const r = addPatient.run(p.mrn, p.first, p.last, p.dob, null, p.email, p.phone);
    ids.set(p.mrn, r.lastInsertRowid);
    audit.run(42, 'INSERT', 'patients', r.lastInsertRowid, `Added patient ${p.mrn}`);
  }
})();
const jane = ids.get('MRN001234')!;
const visits: [string, string, string, number, number, string[]][] = [
  ['2025-11-30', 'Annual physical exam', '120/80', 98.6, 72, ['Z00.00']],
  ['2026-02-14', 'Persistent cough', '124/82', 99.4, 80, ['R05.9']],
];
for (const [date, complaint, bp, temp, pulse, codes] of visits) {
  const e = addEncounter.run(jane, date, complaint, bp, temp, pulse, JSON.stringify(codes), 7);
  audit.run(42, 'INSERT', 'encounters', e.lastInsertRowid, `Recorded encounter for patient ${String(jane)}`);
  if (complaint === 'Annual physical exam') {
    const rx = addPrescription.run(jane, e.lastInsertRowid, 'Lisinopril', '10mg', 'Once daily', date, null, 7);
    audit.run(42, 'INSERT', 'prescriptions', rx.lastInsertRowid, 'Prescribed Lisinopril');
  }
}

console.log('HeliosDB-Lite demo: the seed\'s HIPAA clinic scenario on an encrypted database');
console.log(`database: ${dbPath}\n`);

const patient = db
  .prepare(`SELECT patient_id, mrn, first_name, last_name, date_of_birth, email, phone, created_at
            FROM patients WHERE mrn = ?`)
  .get('MRN001234');
audit.run(42, 'SELECT', 'patients', jane, 'Accessed patient MRN001234');
console.log('get_patient_by_mrn("MRN001234"):');
console.log(patient);

const encounters = db
  .prepare(`SELECT encounter_id, encounter_date, chief_complaint, vitals_bp, vitals_temp, vitals_pulse, diagnosis_codes
            FROM encounters WHERE patient_id = ? ORDER BY encounter_date DESC`)
  .all(jane);
audit.run(42, 'SELECT', 'encounters', null, `Retrieved ${encounters.length} encounters for patient ${String(jane)}`);
console.log(`\nget_patient_encounters(${String(jane)}):`);
console.log(encounters);

const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM patients WHERE mrn = ?').pluck(false).all('x') as { detail: string }[];
console.log(`\nquery plan for the MRN lookup: ${plan.map((p) => p.detail).join('; ')}`);
console.log(`audit_log rows: ${String(db.prepare('SELECT count(*) FROM audit_log').pluck().get())}`);

console.log('\nstorageInfo():');
console.log(db.storageInfo());
db.close();

// Zero plaintext: read every file and look for what we inserted.
const needles = [...patients.flatMap((p) => [p.mrn, p.first, p.last, p.email, p.phone]), ...tables, 'Lisinopril', 'Annual physical exam'];
const files: string[] = [];
const walk = (d: string): void => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(dbPath);
let bytes = 0;
const found: string[] = [];
for (const f of files) {
  const data = readFileSync(f);
  bytes += data.length;
  for (const n of needles) {
    for (const form of [n, n.toLowerCase(), n.toUpperCase()]) {
      if (data.includes(Buffer.from(form, 'utf8')) || data.includes(Buffer.from(form, 'utf16le'))) found.push(`${relative(work, f)}: "${form}"`);
    }
  }
}
console.log(`\nscanned ${files.length} files (${bytes} bytes) in ${relative(work, dbPath)}/ for ${needles.length} inserted strings (names, MRNs, e-mails, phones, table names):`);
console.log(files.map((f) => `  ${relative(dbPath, f)} (${statSync(f).size} bytes)`).join('\n'));
if (found.length === 0) console.log('none found: no plaintext on disk.');
else {
  console.log(`FOUND plaintext:\n  ${[...new Set(found)].join('\n  ')}`);
  process.exitCode = 1;
}
if (keep) console.log(`\nkept ${work} (key file: ${keyFile})`);
else rmSync(work, { recursive: true, force: true });
