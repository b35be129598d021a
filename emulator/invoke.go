package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Invoke API paths (spec §6).
const (
	invokePrefix       = "/2015-03-31/functions/"
	invokeSuffix       = "/invocations"
	streamInvokePrefix = "/2021-11-15/functions/"
	streamInvokeSuffix = "/response-streaming-invocations"
	// maxAsyncPayload is the Event invocation payload limit.
	maxAsyncPayload = 1 << 20
	// logTail is how much log Invoke returns with X-Amz-Log-Type: Tail.
	logTail = 4 << 10
)

// invokeAPI serves Lambda's Invoke and InvokeWithResponseStream operations
// for the functions find knows, so the AWS SDK pointed at it works
// unchanged.
type invokeAPI struct {
	find func(name string) *Emulator
}

// functionName accepts a name, a full ARN or a partial ARN, with or
// without a qualifier.
func functionName(s string) string {
	if i := strings.Index(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// apiError answers as the Lambda API does for errors of its own. Every
// answer carries a request id, as the API's do; an invocation's is its own.
func apiError(w http.ResponseWriter, code int, errType, msg string) {
	if w.Header().Get("X-Amzn-Requestid") == "" {
		w.Header().Set("X-Amzn-Requestid", uuid())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (a *invokeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var name string
	var streaming bool
	switch {
	case strings.HasPrefix(p, invokePrefix) && strings.HasSuffix(p, invokeSuffix):
		name = strings.TrimSuffix(strings.TrimPrefix(p, invokePrefix), invokeSuffix)
	case strings.HasPrefix(p, streamInvokePrefix) && strings.HasSuffix(p, streamInvokeSuffix):
		name, streaming = strings.TrimSuffix(strings.TrimPrefix(p, streamInvokePrefix), streamInvokeSuffix), true
	default:
		apiError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation "+r.Method+" "+p)
		return
	}
	if r.Method != http.MethodPost {
		apiError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "use POST")
		return
	}
	e := a.find(functionName(name))
	if e == nil {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not read the request body")
		return
	}
	if len(payload) > maxRequest {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxRequest))
		return
	}
	// Lambda parses the payload before it invokes anything; an empty one is
	// no payload at all.
	if len(payload) > 0 && !json.Valid(payload) {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not a JSON document")
		return
	}
	trace := newTrace(r.Header.Get("X-Amzn-Trace-Id"))
	opts := invokeOptions{stream: streaming, tenantID: r.Header.Get("X-Amz-Tenant-Id")}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || len(cc) > 3583 || !json.Valid(b) {
			apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "X-Amz-Client-Context must be the base64 of a JSON object of at most 3583 bytes")
			return
		}
		opts.clientContext = string(b)
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "DryRun":
		w.Header().Set("X-Amzn-Requestid", uuid())
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		if streaming {
			apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "InvokeWithResponseStream does not take Event invocations")
			return
		}
		if len(payload) > maxAsyncPayload {
			apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for an asynchronous invocation", maxAsyncPayload))
			return
		}
		inv, err := e.rt.invoke(payload, trace.runtime(), opts)
		if err != nil {
			apiError(w, http.StatusTooManyRequests, "TooManyRequestsException", err.Error())
			return
		}
		w.Header().Set("X-Amzn-Requestid", inv.id)
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown X-Amz-Invocation-Type "+typ)
		return
	}
	inv, err := e.rt.invoke(payload, trace.runtime(), opts)
	if errors.Is(err, errThrottled) {
		apiError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("X-Amzn-Requestid", inv.id)
	tail := r.Header.Get("X-Amz-Log-Type") == "Tail"
	if streaming {
		a.stream(w, r, e, inv, tail)
		return
	}
	if !waitCtx(r.Context(), inv) {
		return
	}
	o := inv.result
	if tail {
		w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(e.rt.logs.tail(inv.logStart, logTail)))
	}
	if o.errType != "" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(o.errBody)
		return
	}
	ct := o.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(o.body)
}

// writeEvent writes one event of an InvokeWithResponseStream answer to w,
// in a single Write: an event stream message (the framing AWS SDKs read,
// with its prelude and message CRCs) carrying the event type, the payload's
// content type and the "event" message type as string headers.
func writeEvent(w io.Writer, enc *eventstream.Encoder, eventType, contentType string, payload []byte) error {
	return enc.Encode(w, eventstream.Message{
		Headers: eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(eventType)},
			{Name: ":content-type", Value: eventstream.StringValue(contentType)},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		Payload: payload,
	})
}

// stream answers InvokeWithResponseStream: the function's bytes as
// PayloadChunk events as they arrive, then InvokeComplete.
func (a *invokeAPI) stream(w http.ResponseWriter, r *http.Request, e *Emulator, inv *invocation, tail bool) {
	rc := http.NewResponseController(w)
	var s *stream
	select {
	case s = <-inv.streams:
	case <-inv.done:
	case <-r.Context().Done():
		go abandon(inv)
		return
	}
	ct := "application/octet-stream"
	if s != nil && s.contentType != "" {
		ct = s.contentType
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	enc := eventstream.NewEncoder()
	if s != nil {
		buf := make([]byte, 32<<10)
		abandoned := true
		for {
			n, err := s.body.Read(buf)
			if n > 0 {
				if werr := writeEvent(w, enc, "PayloadChunk", "application/octet-stream", buf[:n]); werr != nil {
					break
				}
				_ = rc.Flush()
			}
			if err != nil {
				abandoned = !errors.Is(err, io.EOF)
				break
			}
		}
		s.finish(abandoned)
		<-inv.done
	}
	complete := map[string]string{}
	if o := inv.result; o != nil && o.errType != "" {
		complete["ErrorCode"] = o.errType
		complete["ErrorDetails"] = string(o.errBody)
	}
	if tail {
		complete["LogResult"] = base64.StdEncoding.EncodeToString(e.rt.logs.tail(inv.logStart, logTail))
	}
	payload, _ := json.Marshal(complete)
	_ = writeEvent(w, enc, "InvokeComplete", "application/json", payload)
	_ = rc.Flush()
}
