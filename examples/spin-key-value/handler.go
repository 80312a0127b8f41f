package main

import (
	"errors"
	"io"
	"net/http"

	"github.com/spindlekv/spindle/examples/spinguest"
)

// handle is the tutorial's handler: the request path is the key in the
// default store. POST stores the body, GET returns the value (404 when
// missing), DELETE removes it, HEAD answers 200 or 404, and any other
// method gets 405.
func handle(w http.ResponseWriter, r *http.Request) {
	store, err := spinguest.Open("default")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer store.Close()

	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}

	switch r.Method {
	case http.MethodPost:
		if err := store.Set(r.URL.Path, body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		value, err := store.Get(r.URL.Path)
		if errors.Is(err, spinguest.ErrNoSuchKey) {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.Write(value)
	case http.MethodDelete:
		if err := store.Delete(r.URL.Path); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodHead:
		exists, err := store.Exists(r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if exists {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
