// What the Go clients of clients.test.ts share; the test builds each of them together with this
// file, as one package main. A client records what it observed and prints it as one JSON object
// at the end; an unexpected failure prints {"failed": step, "error": ...} and exits 1.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// An API error as the SDK parsed it.
type observedError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	RequestID string `json:"requestId,omitempty"`
}

var observed = map[string]interface{}{}

func must(err error, step string) {
	if err != nil {
		out, _ := json.Marshal(map[string]string{"failed": step, "error": err.Error()})
		fmt.Println(string(out))
		os.Exit(1)
	}
}

func report() {
	out, _ := json.Marshal(observed)
	fmt.Println(string(out))
}
