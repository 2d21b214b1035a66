// Package observe watches a run from outside the system under test: an audit
// trigger on the service rows (in-process runs, where the harness owns the
// database), a sampler of last_seen / last_seen_live / xmin (any database,
// read-only), Postgres's own table statistics, and a collector of the
// reference's dispatch events. None of it trusts the reference's counters.
package observe

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
)

// auditSQL records every write of last_seen into the harness's own table:
// the writing transaction, the database's clock at the write, and the
// dispatch the writer tagged the transaction with (the reference sets
// contract.TagDispatch and contract.TagKey for its heartbeat UPDATEs). One
// transaction is one heartbeat write.
const auditSQL = `
CREATE TABLE IF NOT EXISTS hb_audit (
	id          bigserial PRIMARY KEY,
	service_id  bigint NOT NULL,
	last_seen   timestamptz,
	txid        bigint NOT NULL,
	dispatch_id text,
	gate_key    text,
	at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION hb_audit_last_seen() RETURNS trigger AS $$
BEGIN
	INSERT INTO hb_audit(service_id, last_seen, txid, dispatch_id, gate_key)
	VALUES (NEW.id, NEW.last_seen, txid_current(),
	        nullif(current_setting('` + contract.TagDispatch + `', true), ''),
	        nullif(current_setting('` + contract.TagKey + `', true), ''));
	RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS hb_audit_last_seen ON ml_processingservice;
-- Every UPDATE that sets last_seen, even to the value it had: two writes
-- in the same microsecond store the same timestamp and are still two.
-- The offline checker sets only last_seen_live and is not audited.
CREATE TRIGGER hb_audit_last_seen AFTER UPDATE OF last_seen ON ml_processingservice
	FOR EACH ROW EXECUTE FUNCTION hb_audit_last_seen();
`

// InstallAudit adds the audit table and trigger. Only for a database the
// harness created: it alters nothing of Antenna's schema but adds a trigger.
func InstallAudit(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, auditSQL); err != nil {
		return fmt.Errorf("installing the audit trigger: %w", err)
	}
	return reference.MarkOwned(ctx, pool, "hb_audit")
}

// AuditedWrite is one transaction that wrote last_seen.
type AuditedWrite struct {
	TxID int64
	// At is the database's clock when the first row was written.
	At time.Time
	// LastSeen is the value written: the writer's clock.
	LastSeen   time.Time
	Services   []int64
	DispatchID string // "" when the writer did not tag it
	Key        string
}

// ReadAudit returns the audited writes in the order the database made them.
func ReadAudit(ctx context.Context, pool *pgxpool.Pool) ([]AuditedWrite, error) {
	rows, err := pool.Query(ctx, `SELECT txid, min(at), min(last_seen), array_agg(service_id ORDER BY service_id),
			coalesce(min(dispatch_id), ''), coalesce(min(gate_key), '')
		FROM hb_audit GROUP BY txid ORDER BY min(at), txid`)
	if err != nil {
		return nil, fmt.Errorf("reading the audit table: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditedWrite, error) {
		var w AuditedWrite
		var lastSeen *time.Time
		err := r.Scan(&w.TxID, &w.At, &lastSeen, &w.Services, &w.DispatchID, &w.Key)
		if lastSeen != nil {
			w.LastSeen = *lastSeen
		}
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit table: %w", err)
	}
	return out, nil
}
