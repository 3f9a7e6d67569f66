package standin

import (
	"encoding/json"
	"errors"
	"net/http"
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
