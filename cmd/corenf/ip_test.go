package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"slices"
	"testing"
)

func TestWriteIfacesText(t *testing.T) {
	var b bytes.Buffer
	err := writeIfacesText(&b, []ifaceInfo{
		{Index: 1, Name: "lo", MTU: 65536, Flags: []string{"up", "loopback"}, Addrs: []string{"127.0.0.1/8", "::1/128"}},
		{Index: 7, Name: "n3", MAC: "02:42:0a:00:00:02", MTU: 1500, Flags: []string{}, Addrs: []string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"INDEX  NAME  MAC                MTU    FLAGS        ADDRESSES\n" +
		"1      lo    -                  65536  up,loopback  127.0.0.1/8 ::1/128\n" +
		"7      n3    02:42:0a:00:00:02  1500   -            -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestIPJSONMatchesSystem(t *testing.T) {
	code, out, errOut := runCmd(t, context.Background(), "", "ip", "-o", "json")
	if code != 0 {
		t.Fatalf("ip = %d %s", code, errOut)
	}
	var got []ifaceInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	sys, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sys) {
		t.Fatalf("%d interfaces printed, system has %d", len(got), len(sys))
	}
	for i, ifc := range sys {
		g := got[i]
		if g.Name != ifc.Name || g.Index != ifc.Index || g.MAC != ifc.HardwareAddr.String() || g.MTU != ifc.MTU {
			t.Errorf("interface %d: printed %+v, system %+v", i, g, ifc)
		}
		if ifc.Flags&net.FlagLoopback != 0 && !slices.Contains(g.Addrs, "127.0.0.1/8") {
			t.Errorf("loopback %s addrs %v lack 127.0.0.1/8", g.Name, g.Addrs)
		}
	}
	if code, _, _ := runCmd(t, context.Background(), "", "ip", "-o", "yaml"); code != 2 {
		t.Errorf("ip -o yaml = %d, want 2", code)
	}
}
