package standin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/valora-k6/valora-k6/extension/ids"
)

var errNoBody = errors.New("invalid request")

// decodeJSON binds like gin's ShouldBindJSON: one JSON value is decoded from the body and anything after it is
// ignored.
func decodeJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return errNoBody
	}
	return json.NewDecoder(r.Body).Decode(v)
}

// parseSnowflake parses an id as Valora does (snowflake.ParseString, i.e. strconv.ParseInt base 10). It is
// deliberately looser than ids.ParseID, which refuses signs and zero: Valora accepts "-5" or "+5" here and
// fails later with a different error, and the stand-in must fail the same way.
func parseSnowflake(s string) (ids.ID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	return ids.ID(n), err
}
