package standin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is what Valora's ErrorHandlingMiddleware writes: a status and the JSON envelope (contract 1.2).
type apiError struct {
	status int
	typ    string
	msg    string
	errs   []fieldError
}

type fieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

var (
	errUnauthorized = &apiError{status: http.StatusUnauthorized, typ: "unauthorized", msg: "unauthorized"}
	errForbidden    = &apiError{status: http.StatusForbidden, typ: "forbidden", msg: "forbidden"}
	errNotFound     = &apiError{status: http.StatusNotFound, typ: "not_found", msg: "not found"}
	errRateLimited  = &apiError{status: http.StatusTooManyRequests, typ: "rate_limited", msg: "rate limited"}
	errConflict     = &apiError{status: http.StatusConflict, typ: "conflict", msg: "conflict"}
	errOrgRequired  = &apiError{status: http.StatusPreconditionRequired, typ: "precondition_required", msg: "organization required"}
	// errInternal covers everything Valora does not map: JSON decode errors on /api/usage, unique-key
	// violations, ad-hoc errors.
	errInternal = &apiError{status: http.StatusInternalServerError, typ: "internal_error", msg: "internal server error"}
	// errBodyTooLarge answers a body over Config.MaxBodyBytes. Valora has no body cap and so no such error; the
	// stand-in's shape follows its envelope.
	errBodyTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, typ: "payload_too_large", msg: "payload too large"}
)

// errValidation is a structured validation error (newValidationError in Valora).
func errValidation(field, code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "validation_error", msg: "validation error",
		errs: []fieldError{{Field: field, Code: code, Message: message}}}
}

// errInvalidRequest is Valora's invalidRequestError(): a bind failure on most routes.
var errInvalidRequest = errValidation("request", "invalid_request", "invalid request")

// errInvalid is a domain validation sentinel as mapError renders it: the field is the code without its
// "invalid_" prefix (codes such as missing_customer keep theirs).
func errInvalid(code string) *apiError {
	field := strings.TrimPrefix(code, "invalid_")
	if code == "invalid_scope" {
		field = "scopes"
	}
	return errValidation(field, code, "invalid value")
}

type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Type    string       `json:"type"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

// Pre-encoded bodies for the errors the hot paths answer most.
var (
	bodyUnauthorized = mustEnvelope(errUnauthorized)
	bodyRateLimited  = mustEnvelope(errRateLimited)
	bodyInternal     = mustEnvelope(errInternal)
)

func mustEnvelope(e *apiError) []byte {
	b, err := json.Marshal(envelope{Error: envelopeBody{Type: e.typ, Message: e.msg, Errors: e.errs}})
	if err != nil {
		panic(err)
	}
	return b
}

const contentTypeJSON = "application/json; charset=utf-8"

// headerJSON is shared by every response; net/http never modifies header value slices it is given.
var headerJSON = []string{contentTypeJSON}

func writeError(w http.ResponseWriter, e *apiError) {
	var body []byte
	switch e {
	case errUnauthorized:
		body = bodyUnauthorized
	case errRateLimited:
		body = bodyRateLimited
	case errInternal:
		body = bodyInternal
	default:
		body = mustEnvelope(e)
	}
	writeRaw(w, e.status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	writeRaw(w, status, b)
}

// notFound is gin's NoRoute without a STATIC_DIR: http.ServeFile's plain-text 404.
func notFound(w http.ResponseWriter) {
	http.Error(w, "404 page not found", http.StatusNotFound)
}
