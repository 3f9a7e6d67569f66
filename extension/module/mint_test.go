package module

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valora-k6/valora-k6/extension/session"
	"github.com/valora-k6/valora-k6/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// TestMintSessionsThroughTheModule mints sessions from JavaScript against a real PostgreSQL holding Valora's
// identity tables, and checks each token's hash finds a live row for the right user and org.
func TestMintSessionsThroughTheModule(t *testing.T) {
	url := pgtest.StartShared(t).NewDatabase(t)
	pgtest.ApplyValoraIdentitySchema(t, url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
		INSERT INTO users (id, email, provider, display_name, password_hash, is_default, metadata, created_at, updated_at)
		VALUES (2008111837777760300, 'admin@railzway.com', 'local', 'Admin', 'x', true, '{}', now(), now());
		INSERT INTO organization_members (id, org_id, user_id, role, created_at)
		VALUES (1, 2008111837777760256, 2008111837777760300, 'OWNER', now());`)
	require.NoError(t, err)

	v := newVU(t, New(), "")
	v.rt.VU.Runtime().Set("dsn", url)
	v.run(`var tokens = valora.mintSessions({databaseUrl: dsn, email: "Admin@Railzway.com", count: 3,
	                                         orgId: "2008111837777760256", ttlSeconds: 3600});`)
	var tokens []string
	require.NoError(t, v.rt.VU.Runtime().ExportTo(v.run(`tokens`), &tokens))
	require.Len(t, tokens, 3)
	for _, tok := range tokens {
		info, err := session.Validate(ctx, url, tok)
		require.NoError(t, err)
		assert.Equal(t, int64(2008111837777760300), info.UserID)
		assert.Equal(t, int64(2008111837777760256), info.ActiveOrgID)
	}
	assert.Equal(t, int64(3), v.run(`valora.revokeSessions({databaseUrl: dsn, tokens: tokens})`).ToInteger())
	_, err = session.Validate(ctx, url, tokens[0])
	assert.ErrorIs(t, err, session.ErrSessionRevoked)

	msg := v.throws(`valora.mintSessions({databaseUrl: dsn, email: "nobody@example.com"})`)
	assert.Contains(t, msg, "mintSessions")
	assert.NotContains(t, msg, pgtest.StartShared(t).Password)
}
