package module

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/js/modulestest"
)

// The tests below re-run this test binary as separate OS processes, selected with -test.run and told what to
// do through the environment: each child is a k6 process of its own, with its own root module, run id and
// snowflake node, as concurrent `k6 run`s are.
const (
	childEnv      = "VALORA_K6_TEST_CHILD" // which child: "ids" or "signals"
	childSegment  = "VALORA_K6_TEST_SEGMENT"
	childSequence = "VALORA_K6_TEST_SEQUENCE"
	childOut      = "VALORA_K6_TEST_OUT"
	childCount    = "VALORA_K6_TEST_COUNT"
	childStartAt  = "VALORA_K6_TEST_START_AT" // unix milliseconds: all children mint in the same milliseconds
)

// childCommand re-runs this test binary for one child test.
func childCommand(t *testing.T, test string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestIDsNeverCollideAcrossProcesses starts four k6-like processes at once, as four `k6 run`s: two of them
// unsegmented (they used to share snowflake node 2, and 101,473 of 600,000 keys and ids repeated across three
// such runs), beside them the uneven segments 0:1/2000 and 1/2000:2/2000 given without a sequence (they share
// a snowflake node, since 2 + floor(start × 1022) is 2 for both; how a sequence keeps them apart is
// TestIDsFollowTheExecutionSegment's). Each mints 200,000 idempotency keys, 200,000 provider ids of every
// kind, and the ids inside 10,000 Stripe and 10,000 Adyen events, all in the same milliseconds. Not one of
// the 1.72 million repeats.
func TestIDsNeverCollideAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("mints 1.72 million ids in four processes")
	}
	const perKind = 200_000
	children := []struct{ segment, sequence string }{
		{"", ""},
		{"", ""},
		{"0:1/2000", ""},
		{"1/2000:2/2000", ""},
	}
	dir := t.TempDir()
	startAt := time.Now().Add(3 * time.Second).UnixMilli()
	outputs := make([]string, len(children))
	var wg sync.WaitGroup
	for i, c := range children {
		outputs[i] = filepath.Join(dir, fmt.Sprintf("ids-%d.txt", i))
		cmd := childCommand(t, "TestIDsChild", childEnv+"=ids", childSegment+"="+c.segment, childSequence+"="+c.sequence,
			childOut+"="+outputs[i], childCount+"="+strconv.Itoa(perKind), childStartAt+"="+strconv.FormatInt(startAt, 10))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "child %d (%q): %s", i, c.segment, out)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	var all []string
	nodes := make([]int64, len(children))
	runs := make([]string, len(children))
	for i, path := range outputs {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		_, err = fmt.Sscanf(lines[0], "# node %d run %s", &nodes[i], &runs[i])
		require.NoError(t, err, "header of child %d: %q", i, lines[0])
		ids := lines[1:]
		require.Len(t, ids, 2*perKind+3*10_000, "child %d", i)
		all = append(all, ids...)
	}
	t.Logf("nodes %v, run ids %v", nodes, runs)
	assert.Equal(t, nodes[2], nodes[3], "0:1/2000 and 1/2000:2/2000 without a sequence share a node: only the run id keeps their keys apart")
	for _, n := range nodes {
		assert.True(t, n >= 2 && n <= 1023, "node %d", n)
	}

	slices.Sort(all)
	dups := 0
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			if dups < 10 {
				t.Errorf("%q minted twice", all[i])
			}
			dups++
		}
	}
	assert.Zero(t, dups, "duplicates among %d keys and ids", len(all))
	assert.GreaterOrEqual(t, len(all), 1_200_000)
	t.Logf("%d idempotency keys and provider ids from %d concurrent processes, %d duplicates", len(all), len(children), dups)
}

// TestIDsChild is one process of TestIDsNeverCollideAcrossProcesses; on its own it does nothing.
func TestIDsChild(t *testing.T) {
	if os.Getenv(childEnv) != "ids" {
		t.Skip("run by TestIDsNeverCollideAcrossProcesses")
	}
	n, err := strconv.Atoi(os.Getenv(childCount))
	require.NoError(t, err)
	startAt, err := strconv.ParseInt(os.Getenv(childStartAt), 10, 64)
	require.NoError(t, err)
	v := newVUWith(t, New(), os.Getenv(childSegment), os.Getenv(childSequence))
	f, err := os.Create(os.Getenv(childOut))
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	w := bufio.NewWriter(f)
	v.run(`
		var kinds = ["evt", "ch", "pi", "re", "cus", "in"];
		function keys(n) { var out = []; for (var i = 0; i < n; i++) out.push(valora.idempotencyKey("k6-usage-load")); return out.join("\n"); }
		function providerIds(n) { var out = []; for (var i = 0; i < n; i++) out.push(valora.providerId(kinds[i % 6])); return out.join("\n"); }
		function events(n) {
			var out = [];
			for (var i = 0; i < n; i++) {
				var s = valora.stripeEvent({type: i % 2 ? "charge.succeeded" : "payment_intent.succeeded", customerId: "42"});
				out.push(s.id, JSON.parse(s.body).data.object.id);
				out.push(JSON.parse(valora.adyenEvent({eventCode: "AUTHORISATION", customerId: "42"}).body)
					.notificationItems[0].NotificationRequestItem.pspReference);
			}
			return out.join("\n");
		}`)
	fmt.Fprintf(w, "# node %d run %s\n", v.run(`valora.nodeId()`).ToInteger(), v.str(`valora.idempotencyKey("r").slice(2, 15)`))
	time.Sleep(time.Until(time.UnixMilli(startAt)))
	const batch = 10_000
	for _, fn := range []string{"keys", "providerIds"} {
		for done := 0; done < n; done += batch {
			fmt.Fprintln(w, v.str(fn+`(`+strconv.Itoa(min(batch, n-done))+`)`))
		}
	}
	fmt.Fprintln(w, v.str(`events(10000)`))
	require.NoError(t, w.Flush())
}

// TestRunStatusSeesSignals: in a process of its own (with no k6 to stop it), SIGTERM and then SIGINT are sent
// to the process; runStatus reports the first, and the process keeps running, as k6 does until it has
// stopped the test.
func TestRunStatusSeesSignals(t *testing.T) {
	out, err := childCommand(t, "TestRunStatusChild", childEnv+"=signals").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "runStatus after SIGTERM, SIGINT: interrupted=true signal=SIGTERM")
}

// TestRunStatusChild is the process of TestRunStatusSeesSignals; on its own it does nothing.
func TestRunStatusChild(t *testing.T) {
	if os.Getenv(childEnv) != "signals" {
		t.Skip("run by TestRunStatusSeesSignals")
	}
	root := New() // subscribes to SIGINT and SIGTERM with the first VU, as in k6
	v := newVU(t, root, "")
	t.Cleanup(func() { signalStop(root) })
	require.False(t, v.run(`valora.runStatus().interrupted`).ToBoolean())
	require.Equal(t, "null", v.str(`String(valora.runStatus().signal)`))

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	require.Eventually(t, func() bool { return v.run(`valora.runStatus().interrupted`).ToBoolean() },
		5*time.Second, 10*time.Millisecond)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	time.Sleep(100 * time.Millisecond)
	other := newVU(t, root, "") // every VU of the process sees it
	fmt.Printf("runStatus after SIGTERM, SIGINT: interrupted=%v signal=%s\n",
		other.run(`valora.runStatus().interrupted`).ToBoolean(), other.str(`valora.runStatus().signal`))
}

// TestRunStatusThresholds: thresholds is false under --no-thresholds, read from the first VU's init
// environment and kept for every VU after it.
func TestRunStatusThresholds(t *testing.T) {
	v := newVU(t, testRoot(), "")
	assert.True(t, v.run(`valora.runStatus().thresholds`).ToBoolean())
	assert.Equal(t, `{"interrupted":false,"signal":null,"thresholds":true}`, v.str(`JSON.stringify(valora.runStatus())`))

	root := testRoot()
	first := newVUFull(t, root, "", "", func(rt *modulestest.Runtime) {
		rt.VU.InitEnvField.RuntimeOptions.NoThresholds.Bool = true // --no-thresholds
		rt.VU.InitEnvField.RuntimeOptions.NoThresholds.Valid = true
	})
	assert.False(t, first.run(`valora.runStatus().thresholds`).ToBoolean())
	assert.False(t, newVU(t, root, "").run(`valora.runStatus().thresholds`).ToBoolean(), "kept on the root module")
}

// signalStop gives the process's signals back, as they were before the root module subscribed to them.
func signalStop(root *RootModule) {
	if ch := root.status.signals; ch != nil {
		signal.Stop(ch)
	}
}
