// Command pubsub-emulator serves the Cloud Pub/Sub Publisher, Subscriber and
// Schema gRPC APIs in memory (cloud.google.com/go/pubsub/v2/pstest) so that the
// client libraries can reach it through PUBSUB_EMULATOR_HOST.
//
// It prints one ready line once it is accepting connections and exits 0 on
// SIGTERM or SIGINT. Everything is lost when it stops.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8085, "port to listen on (0 picks a free one)")
	flag.Parse()

	srv, err := listen(net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pubsub-emulator: cannot listen on %s:%d: %v\n", *host, *port, err)
		os.Exit(1)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	// The harness and the CLI wait for this exact prefix.
	fmt.Printf("pubsub-emulator ready on %s\n", srv.Addr)

	sig := <-stop
	fmt.Printf("pubsub-emulator stopping (%s)\n", sig)
	_ = srv.Close()
}

// listen starts pstest on address; pstest panics when it cannot listen, which
// is turned into an error here so that a busy port gives one readable line.
func listen(address string) (srv *pstest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return pstest.NewServerWithAddress(address), nil
}
