import BarrageCLI
BarrageMain.main()
