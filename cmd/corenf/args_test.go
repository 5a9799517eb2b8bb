package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseIntersperses(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		u       bool
		send    string
		wantErr bool
	}{
		{[]string{"-u", "h", "7"}, []string{"h", "7"}, true, "", false},
		{[]string{"h", "-u", "7", "--send", "x y"}, []string{"h", "7"}, true, "x y", false},
		{[]string{"h", "7", "-send=hi"}, []string{"h", "7"}, false, "hi", false},
		{[]string{"-u", "--", "-h", "-u"}, []string{"-h", "-u"}, true, "", false},
		{[]string{"h", "--", "-u"}, []string{"h", "-u"}, false, "", false},
		{[]string{"-nope"}, nil, false, "", true},
		{[]string{"h", "--send"}, nil, false, "", true},
	}
	for _, tt := range tests {
		fs := newFlags("t", io.Discard)
		u := fs.Bool("u", false, "")
		send := fs.String("send", "", "")
		pos, err := parse(fs, tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parse(%q) err = %v", tt.args, err)
			continue
		}
		if err == nil && (!slices.Equal(pos, tt.pos) || *u != tt.u || *send != tt.send) {
			t.Errorf("parse(%q) = %q u=%v send=%q", tt.args, pos, *u, *send)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"0", 0, true},
		{"500ms", 500 * time.Millisecond, true},
		{"2m", 2 * time.Minute, true},
		{"-1", 0, false},
		{"-1s", 0, false},
		{"soon", 0, false},
		{"NaN", 0, false},
		{"1e300", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseDuration(%q) = %v, %v", tt.in, got, err)
		}
	}
}
