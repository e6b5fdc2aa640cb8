from baremetal_lb.cli import main

raise SystemExit(main())
